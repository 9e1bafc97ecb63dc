export { createHttpClient, type HttpClient, type HttpClientOptions, type HttpRequest, type HttpResponse } from './http-client.js';
export type { LineReader } from './line-reader.js';
export { parseRetryAfterMs } from './retry-after.js';
export { describeProblem } from './problem-text.js';
export { readCaFile } from './ca-file.js';
