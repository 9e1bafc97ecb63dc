import { existsSync } from 'node:fs';

/**
 * Global setup of `pnpm test:mssql`: one SQL Server 2022 for the whole run. With TEST_MSSQL_URL set, that server
 * is used as it is; otherwise a container is started through testcontainers (a Docker engine is needed) and its
 * URL handed to the test workers, which each create and drop their own databases on it.
 */
export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.TEST_MSSQL_URL) return async () => {};
  const docker = Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
  if (!docker) {
    throw new Error('pnpm test:mssql needs a SQL Server: set TEST_MSSQL_URL=mssql://user:password@host:1433/master?encrypt=false, or run it where a Docker engine is reachable');
  }
  const { MSSQLServerContainer } = await import('@testcontainers/mssqlserver');
  const container = await new MSSQLServerContainer('mcr.microsoft.com/mssql/server:2022-latest').acceptLicense().start();
  const user = encodeURIComponent(container.getUsername());
  const password = encodeURIComponent(container.getPassword());
  process.env.TEST_MSSQL_URL = `mssql://${user}:${password}@${container.getHost()}:${container.getPort()}/master?encrypt=false`;
  return async () => {
    await container.stop();
  };
}
