/**
 * Collects bound values while a statement is assembled and hands back each one's placeholder ($n on
 * PostgreSQL, @pn on SQL Server), so that a value is only bound when the text actually refers to it:
 * PostgreSQL refuses a parameter it cannot type because no expression uses it.
 */
export class SqlParamList {
  readonly values: unknown[] = [];

  private constructor(private readonly placeholder: (position: number) => string) {}

  /** $1, $2, ... */
  static postgres(): SqlParamList {
    return new SqlParamList((position) => `$${position}`);
  }

  /** @p1, @p2, ... */
  static mssql(): SqlParamList {
    return new SqlParamList((position) => `@p${position}`);
  }

  add(value: unknown): string {
    this.values.push(value);
    return this.placeholder(this.values.length);
  }
}
