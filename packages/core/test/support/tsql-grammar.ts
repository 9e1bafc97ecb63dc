import { ANTLRInputStream, CommonTokenStream, type ANTLRErrorListener, type CharStream } from 'antlr4ts';
import { TSqlLexer, TSQLGrammar, type Interval } from 'antlr4ts-sql';

/**
 * The T-SQL grammar spells its keywords in uppercase, so the lexer must see uppercased characters.
 * Only lookahead is uppercased: token text still comes from the original input, so messages quote the
 * SQL as written. (antlr4ts-sql ships a CaseChangingStream, but its getText passes the wrong arguments.)
 */
class UpperCaseCharStream implements CharStream {
  constructor(private readonly inner: CharStream) {}
  get index(): number { return this.inner.index; }
  get size(): number { return this.inner.size; }
  get sourceName(): string { return this.inner.sourceName; }
  LA(i: number): number {
    const c = this.inner.LA(i);
    if (c <= 0) return c;
    const upper = String.fromCodePoint(c).toUpperCase();
    // A few characters widen when uppercased (ß -> SS); keep them as they are rather than shift positions.
    return upper.length === 1 || upper.codePointAt(0)! > 0xffff ? upper.codePointAt(0)! : c;
  }
  consume(): void { this.inner.consume(); }
  mark(): number { return this.inner.mark(); }
  release(marker: number): void { this.inner.release(marker); }
  seek(index: number): void { this.inner.seek(index); }
  getText(interval: Interval): string { return this.inner.getText(interval); }
}

function collector<TSymbol>(errors: string[], kind: string): ANTLRErrorListener<TSymbol> {
  return {
    syntaxError: (_recognizer, _symbol, line, column, msg) => {
      // "expecting {...}" can list hundreds of tokens; the position and the start of the list are enough.
      const short = msg.length > 240 ? `${msg.slice(0, 240)}...` : msg;
      errors.push(`${kind} error at ${line}:${column + 1}: ${short}`);
    },
  };
}

/** Syntax errors of `sql` under the SQL Server grammar (start rule tsql_file); empty means it parses. */
export function parseTsql(sql: string): string[] {
  const errors: string[] = [];
  const lexer = new TSqlLexer(new UpperCaseCharStream(new ANTLRInputStream(sql)));
  lexer.removeErrorListeners();
  lexer.addErrorListener(collector<number>(errors, 'lexer'));
  const parser = new TSQLGrammar.TSqlParser(new CommonTokenStream(lexer));
  parser.removeErrorListeners();
  parser.addErrorListener(collector(errors, 'parser'));
  parser.tsql_file();
  return errors;
}

/** Throws with every syntax error and the source line each one points at. */
export function expectValidTsql(sql: string): void {
  const errors = parseTsql(sql);
  if (errors.length === 0) return;
  const lines = sql.split(/\r?\n/);
  const detail = errors.map((e) => {
    const line = Number(/at (\d+):/.exec(e)?.[1] ?? 0);
    return `${e}\n    > ${lines[line - 1]?.trim() ?? ''}`;
  });
  throw new Error(`T-SQL does not parse:\n${detail.join('\n')}\n--- statement ---\n${sql}`);
}
