/**
 * Every trigger the sync layer installs on a PDV table is named sync_*: whatever the expected list says, a
 * disabled one of them fails the check.
 */
export const SYNC_TRIGGER_PREFIX = 'sync_';
