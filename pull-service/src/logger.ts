import type { DaemonContext } from '@goldpdv/core';

/** The daemon's logger type (pino's), taken from core so that pull-service needs no direct pino dependency. */
export type Logger = DaemonContext<unknown>['logger'];
