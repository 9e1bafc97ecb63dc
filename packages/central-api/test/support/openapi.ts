import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import type { RawResponse } from './http-client.js';

const SPEC_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../openapi.yaml');
const SPEC_ID = 'urn:goldpdv:central-api:openapi';

interface MediaType { schema?: unknown }
interface Header { required?: boolean; $ref?: string }
interface ResponseObject { $ref?: string; headers?: Record<string, Header>; content?: Record<string, MediaType> }
interface Operation { responses: Record<string, ResponseObject> }
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, ResponseObject>; headers: Record<string, Header> };
}

const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
// OpenAPI keywords (openapi, info, paths...) are not JSON Schema keywords; strictSchema would refuse the
// document as a schema. Data validation itself stays strict.
const ajv = new Ajv2020({ strictSchema: false, allErrors: true });
(addFormatsModule as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addSchema({ ...spec, $id: SPEC_ID } as object);

const validators = new Map<string, ValidateFunction>();
function validatorFor(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

function templateFor(path: string): string | undefined {
  const actual = path.split('?')[0]!.split('/');
  return Object.keys(spec.paths).find((template) => {
    const parts = template.split('/');
    return parts.length === actual.length && parts.every((part, i) => /^\{.+\}$/.test(part) || part === actual[i]);
  });
}

function resolveResponse(response: ResponseObject): { pointer: string; response: ResponseObject } | undefined {
  if (!response.$ref) return undefined;
  const name = response.$ref.replace('#/components/responses/', '');
  return { pointer: `/components/responses/${escapePointer(name)}`, response: spec.components.responses[name]! };
}

/**
 * Throws unless `response` is exactly what openapi.yaml documents for this operation and status: the status
 * is listed, the media type matches, required headers are present and the body validates against the schema.
 * An undocumented path must answer a Problem.
 */
export function expectMatchesOpenApi(method: string, path: string, response: RawResponse): void {
  const template = templateFor(path);
  const contentType = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
  const operation = template ? spec.paths[template]![method.toLowerCase()] : undefined;
  if (!template || !operation) {
    if (response.status !== 404 && response.status !== 405) throw new Error(`${method} ${path} is not in openapi.yaml (answered ${response.status})`);
    validateBody(`/components/schemas/Problem`, response, `${method} ${path} (undocumented)`);
    if (contentType !== 'application/problem+json') throw new Error(`${method} ${path}: expected application/problem+json, got ${contentType}`);
    return;
  }
  const declared = operation.responses[String(response.status)];
  const where = `${method} ${template} ${response.status}`;
  if (!declared) throw new Error(`${where}: status not documented in openapi.yaml`);
  const resolved = resolveResponse(declared);
  const pointer = resolved?.pointer ?? `/paths/${escapePointer(template)}/${method.toLowerCase()}/responses/${response.status}`;
  const definition = resolved?.response ?? declared;

  for (const [name, header] of Object.entries(definition.headers ?? {})) {
    const required = header.required ?? (header.$ref ? spec.components.headers[header.$ref.split('/').pop()!]?.required : false);
    if (required && response.headers[name.toLowerCase()] === undefined) throw new Error(`${where}: required header ${name} missing`);
  }
  const media = definition.content ?? {};
  if (Object.keys(media).length === 0) {
    if (response.raw.length > 0) throw new Error(`${where}: documented without a body, got ${response.text.slice(0, 200)}`);
    return;
  }
  if (!(contentType in media)) throw new Error(`${where}: content-type ${contentType} not documented (${Object.keys(media).join(', ')})`);
  validateBody(`${pointer}/content/${escapePointer(contentType)}/schema`, response, where);
}

function validateBody(pointer: string, response: RawResponse, where: string): void {
  const validate = validatorFor(pointer);
  if (!validate(response.json)) {
    throw new Error(`${where}: body does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${response.text.slice(0, 500)}`);
  }
}
