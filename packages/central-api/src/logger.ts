import type { SyncLogger } from '@goldpdv/core';

/** The pino logger of this process, as core's createLogger returns it. */
export type CentralLogger = SyncLogger['logger'];
