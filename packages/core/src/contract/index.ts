export * from './events-contract.js';
export { tokenHash } from './fingerprint.js';
export * from './changes-contract.js';
export { asEventEnvelope, checkEventEnvelope, safeParseEventEnvelope, type EnvelopeCheck } from './envelope-check.js';
