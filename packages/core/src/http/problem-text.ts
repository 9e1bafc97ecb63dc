/**
 * One line for a log or an outcome from an HTTP answer: "503 Service Unavailable: database down (field)" from
 * a problem+json body (RFC 9457), else the status and the start of the body.
 */
export function describeProblem(response: { status: number; body: string }, maxLength = 500): string {
  try {
    const problem = JSON.parse(response.body) as { title?: unknown; detail?: unknown; field?: unknown };
    const parts = [problem.title, problem.detail].filter((part): part is string => typeof part === 'string');
    const field = typeof problem.field === 'string' ? ` (${problem.field})` : '';
    if (parts.length > 0) return `${response.status} ${parts.join(': ')}${field}`.slice(0, maxLength);
  } catch {
    // not JSON: the start of the body says enough
  }
  return `${response.status} ${response.body.slice(0, 200)}`.trim().slice(0, maxLength);
}
