import { PermanentError } from '@goldpdv/core';

/**
 * An admin operation the registry refuses as asked (an unknown PDV, a duplicate id, a loja that does not exist).
 * Nothing was changed; the message is one line for the operator, and the admin command exits 1 with it.
 */
export class PdvRefusal extends PermanentError {}
