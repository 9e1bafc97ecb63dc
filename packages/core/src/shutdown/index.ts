export { createShutdown, type Shutdown, type ShutdownLogger, type ShutdownOptions } from './shutdown.js';
