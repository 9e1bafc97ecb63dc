export { createHttpClient, type HttpClient, type HttpClientOptions, type HttpRequest, type HttpResponse } from './http-client.js';
export { parseRetryAfterMs } from './retry-after.js';
