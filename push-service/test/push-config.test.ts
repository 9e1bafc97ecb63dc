import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../packages/core/src/errors/index.js';
import { parseEnv } from '../../packages/core/src/config/parse-env.js';
import { MAX_ROWS_PER_DELETE, pushEnv } from '../src/config.js';

const schema = z.object(pushEnv);
const REQUIRED = { PDV_ID: 'loja01-pdv01', CENTRAL_API_URL: 'https://vps.example.com.br', CENTRAL_API_TOKEN: 'token-loja01-pdv01-aaaaaaaaaaaa' };

/** A statement that writes more rows than SQL Server's lock escalation allows would stop the sales: refused at start. */
describe('push-service configuration: rows per statement', () => {
  it('accepts the default and the largest retention batch that stays below lock escalation', () => {
    expect(parseEnv(schema, REQUIRED).PUSH_RETENTION_BATCH).toBe(1_000);
    expect(parseEnv(schema, { ...REQUIRED, PUSH_RETENTION_BATCH: String(MAX_ROWS_PER_DELETE) }).PUSH_RETENTION_BATCH).toBe(MAX_ROWS_PER_DELETE);
  });

  it('refuses a larger retention batch with one line that names the variable and why', () => {
    const refuse = () => parseEnv(schema, { ...REQUIRED, PUSH_RETENTION_BATCH: '5000' });
    expect(refuse).toThrow(ConfigError);
    expect(refuse).toThrow(/^PUSH_RETENTION_BATCH: expected at most 2000 rows per delete \(more would make SQL Server escalate to a table lock on sync_outbox, which stops the sales until the delete commits\); found "5000"$/);
  });

  it('keeps the claim batch at 1,000 rows at most', () => {
    expect(() => parseEnv(schema, { ...REQUIRED, PUSH_BATCH_SIZE: '1001' })).toThrow(/^PUSH_BATCH_SIZE: expected an integer <= 1000; found "1001"$/);
  });
});
