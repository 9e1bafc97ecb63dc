/**
 * The ways a pull request is refused on purpose. They carry what the HTTP layer needs to answer and nothing of
 * HTTP itself, so that the services stay usable (and testable) without a server.
 */

/** The checkpoint is older than what the server still tracks: the client must re-snapshot the table. */
export class ResetRequiredError extends Error {
  constructor(
    readonly table: string,
    readonly minValidVersion: string,
    readonly sinceVersion: string,
  ) {
    super(`${table}: version ${sinceVersion} is older than the minimum valid version ${minValidVersion}`);
    this.name = 'ResetRequiredError';
  }
}

/** A request parameter the client got wrong; `field` names the query parameter. */
export class InvalidPullRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidPullRequestError';
  }
}

/** The table is not served (not tracked, unknown, or excluded because it cannot be served exactly). */
export class UnknownTableError extends Error {
  constructor(readonly table: string) {
    super(`no table named ${JSON.stringify(table.slice(0, 140))} is served`);
    this.name = 'UnknownTableError';
  }
}
