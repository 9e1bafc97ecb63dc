import { ConfigError, parseEnv } from '@goldpdv/core';
import { describe, expect, it } from 'vitest';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema, secretValues } from '../src/config.js';

const load = (env: Record<string, string>) => parseEnv(centralEnvSchema, env, CENTRAL_SECRET_VARIABLES);

describe('central-api configuration', () => {
  it('has the documented defaults', () => {
    const config = load({});
    expect(config).toMatchObject({
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: 8090,
      MAX_BODY_BYTES: 10 * 1024 * 1024,
      MAX_EVENTS_PER_BATCH: 1_000,
      REQUEST_TIMEOUT_MS: 120_000,
      KEEP_ALIVE_TIMEOUT_MS: 65_000,
      INGEST_LOCK_TIMEOUT_MS: 5_000,
      AUTH_CACHE_TTL_MS: 30_000,
      RETRY_AFTER_SECONDS: 5,
      SHUTDOWN_TIMEOUT_MS: 15_000,
    });
    expect(config.EVENT_HANDLERS.size).toBe(0);
    expect(config.PDV_TOKENS).toEqual([]);
  });

  it('parses EVENT_HANDLERS into a type -> routine map', () => {
    const config = load({ EVENT_HANDLERS: ' venda.finalizada = sync_handle_venda , caixa.movimento=sync_handle_caixa_movimento,' });
    expect([...config.EVENT_HANDLERS]).toEqual([
      ['venda.finalizada', 'sync_handle_venda'],
      ['caixa.movimento', 'sync_handle_caixa_movimento'],
    ]);
  });

  it.each([
    ['venda.finalizada', 'expected type=routine pairs such as venda.finalizada=sync_handle_venda; "venda.finalizada" is not one'],
    ['Venda=sync_handle_venda', 'expected type=routine pairs such as venda.finalizada=sync_handle_venda; "Venda=sync_handle_venda" is not one'],
    ['venda.finalizada=dbo.sync_handle_venda', 'expected routine names of lowercase letters, digits and underscores (at most 63); "dbo.sync_handle_venda" is not one'],
    ['a=x,a=y', 'expected each event type once; "a" has two handlers'],
  ])('refuses EVENT_HANDLERS=%s', (value, message) => {
    expect(() => load({ EVENT_HANDLERS: value })).toThrow(new ConfigError('EVENT_HANDLERS', `EVENT_HANDLERS: ${message}; found ${JSON.stringify(value)}`));
  });

  it('parses PDV_TOKENS and never prints them', () => {
    const token = 'Zm9vYmFyYmF6cXV4LXRva2Vu==';
    const config = load({ PDV_TOKENS: `loja01-pdv01:1:${token},loja02-pdv01:2:another-token-0123456789` });
    expect(config.PDV_TOKENS).toEqual([
      { pdvId: 'loja01-pdv01', lojaId: 1, token },
      { pdvId: 'loja02-pdv01', lojaId: 2, token: 'another-token-0123456789' },
    ]);
    expect(secretValues(config)).toEqual(expect.arrayContaining([token, 'another-token-0123456789']));
    let message = '';
    try {
      load({ PDV_TOKENS: `loja01-pdv01:x:${token}` });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('PDV_TOKENS: expected a positive loja id after the PDV id; entry 1 (loja01-pdv01) has none; found a value of 41 characters (hidden)');
    expect(message).not.toContain(token);
  });

  it('cannot raise MAX_EVENTS_PER_BATCH above the contract maximum', () => {
    expect(() => load({ MAX_EVENTS_PER_BATCH: '5000' })).toThrow(/MAX_EVENTS_PER_BATCH: expected an integer <= 1000/);
  });
});
