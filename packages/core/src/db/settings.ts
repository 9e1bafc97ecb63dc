export interface PoolSettings {
  poolMax: number;
  connectTimeoutMs: number;
  /** Bound of one statement; a hung connection fails instead of freezing the loop. */
  requestTimeoutMs: number;
}

export interface MssqlSettings extends PoolSettings {
  kind: 'mssql';
  server: string;
  port?: number;
  instanceName?: string;
  user?: string;
  password?: string;
  database?: string;
  encrypt: boolean;
  trustServerCertificate: boolean;
}

export interface PostgresSettings extends PoolSettings {
  kind: 'postgres';
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

export interface PgliteSettings {
  kind: 'pglite';
  /** null = in memory. */
  dataDir: string | null;
}

export type DatabaseSettings = MssqlSettings | PostgresSettings | PgliteSettings;

/** A one-line description for logs, never including a password. */
export function describeDatabase(settings: DatabaseSettings): string {
  switch (settings.kind) {
    case 'mssql':
      return `mssql ${settings.server}${settings.instanceName ? `\\${settings.instanceName}` : ''}${settings.port ? `:${settings.port}` : ''}/${settings.database ?? '(default)'}`;
    case 'postgres': {
      if (settings.connectionString) {
        const url = new URL(settings.connectionString);
        return `postgres ${url.hostname}:${url.port || 5432}${url.pathname}`;
      }
      return `postgres ${settings.host ?? 'localhost'}:${settings.port ?? 5432}/${settings.database ?? ''}`;
    }
    case 'pglite':
      return `pglite ${settings.dataDir ?? '(in memory)'}`;
  }
}
