import { ContractError } from '@goldpdv/core';

/** A pull request parameter the client got wrong (answered 400); `field` names the query parameter. */
export class InvalidPullRequestError extends ContractError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message, { context: { field } });
  }
}
