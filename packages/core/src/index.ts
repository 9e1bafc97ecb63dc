export * from './errors/index.js';
export * from './config/index.js';
export * from './logging/index.js';
export * from './retry/index.js';
export * from './health/index.js';
export * from './shutdown/index.js';
export * from './db/index.js';
export * from './daemon/index.js';
