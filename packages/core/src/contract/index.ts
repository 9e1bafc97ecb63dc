export * from './events-contract.js';
export { tokenHash } from './fingerprint.js';
