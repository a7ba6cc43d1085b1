import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { type Document, OpenAPIBackend, type Operation } from 'openapi-backend';
import { parse } from 'yaml';

/**
 * Validates Atlas requests and responses against MongoDB's OpenAPI slice (shared/atlas-openapi/backup-restore.yaml)
 * with openapi-backend (ajv). Each function returns a list of readable errors; empty means valid.
 *
 * Where the document and the real service disagree (the shared README), the copy used here is adjusted narrowly:
 * - openapi-backend validates `application/json` bodies only, so each versioned media type
 *   (`application/vnd.atlas.YYYY-MM-DD+json`) is also registered as `application/json` with the same schema; the
 *   media types themselves are checked here, strictly against the document (Accept, Content-Type).
 * - `ApiBSONTimestamp.date` and `.increment` are nullable: Atlas answers `desiredTimestamp` with nulls.
 * - Statuses an operation does not document but the README does (406 for versions, 400 INVALID_VERSION_DATE, 410,
 *   503, 405, …) are validated against the ApiError envelope, which every Atlas error uses.
 * Unknown properties pass, as OpenAPI allows by default (Atlas adds fields such as `targetDeploymentItemName`).
 * readOnly properties are refused in request bodies.
 */
const SPEC_URL = new URL('../../../shared/atlas-openapi/backup-restore.yaml', import.meta.url);
/** The second slice (cluster lifecycle, database users, Flex): its paths and components join the first's. */
const SECOND_SPEC_URL = new URL('../../../shared/atlas-openapi/clusters-users-flex.yaml', import.meta.url);

/** Error statuses the README documents for every operation, validated as ApiError where the spec omits them. */
const README_ERROR_STATUSES = new Set([400, 401, 403, 404, 405, 406, 409, 410, 415, 429, 500, 503]);
const ATLAS_MEDIA_TYPE = /^application\/vnd\.atlas\.\d{4}-\d{2}-\d{2}\+json$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface AtlasRequestToValidate {
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | string[]>>;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON; undefined when the request has none. */
  readonly body?: unknown;
}

const document = loadDocument();
const api = new OpenAPIBackend({
  definition: document,
  strict: true,
  ajvOpts: { allErrors: true },
  // Query and path parameters arrive as strings; coercion lets `itemsPerPage=600` fail on `maximum`, not on type.
  coerceTypes: true,
  customizeAjv: (ajv, _options, context) => {
    ajv.addFormat('date-time', {
      type: 'string',
      validate: (text: string) => ISO_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)),
    });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    if (context === 'requestBodyValidator') {
      // A client must not send what only the server writes.
      ajv.removeKeyword('readOnly');
      ajv.addKeyword({
        keyword: 'readOnly',
        schemaType: 'boolean',
        validate: (readOnly: boolean) => !readOnly,
        error: { message: 'is readOnly: the server sets it, a request must not send it' },
      });
    }
    return ajv;
  },
});
await api.init();
const apiErrorValidator = api.validator
  .getAjv('responseValidator' as never)
  .compile(document.components?.schemas?.ApiError ?? {});

/** The operationId the document gives this method and path, if any. */
export function atlasOperationId(method: string, path: string): string | undefined {
  return api.router.matchOperation({ method, path, headers: {} })?.operationId;
}

/** Checks a request: route, path and query parameters, Accept and Content-Type media types, body. */
export function validateAtlasRequest(request: AtlasRequestToValidate): string[] {
  const headers = lowerCaseHeaders(request.headers ?? {});
  const operation = api.router.matchOperation({ method: request.method.toLowerCase(), path: request.path, headers });
  if (!operation?.operationId) return [`${request.method} ${request.path}: no operation in the OpenAPI document`];
  const errors: string[] = [];
  const accepted = versionedMediaTypes(successContent(operation));
  const accept = String(headers.accept ?? '');
  if (accepted.length > 0 && !accepted.some((type) => mediaTypes(accept).includes(type))) {
    errors.push(`Accept: expected ${accepted.join(' or ')}, got "${accept}"`);
  }
  const bodyTypes = versionedMediaTypes(
    Object.keys(operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {}),
  );
  const contentType = mediaTypes(String(headers['content-type'] ?? ''))[0];
  if (bodyTypes.length > 0 && request.body !== undefined && !bodyTypes.includes(contentType ?? '')) {
    errors.push(`Content-Type: expected ${bodyTypes.join(' or ')}, got "${contentType ?? ''}"`);
  }
  if (bodyTypes.length === 0 && request.body !== undefined)
    errors.push(`${operation.operationId} takes no request body`);
  const result = api.validator.validateRequest(
    {
      method: request.method.toLowerCase(),
      path: request.path,
      query: { ...request.query },
      headers: { ...headers, 'content-type': 'application/json' },
      ...(request.body !== undefined ? { body: request.body as object } : {}),
    },
    operation,
  );
  errors.push(...describe(result.errors, 'request'));
  return errors;
}

/**
 * Checks a response of one operation: that the status is documented, the body matches its schema, and (when
 * headers are given) the media type and RateLimit headers.
 */
export function validateAtlasResponse(
  operationId: string,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string | string[] | undefined>>,
): string[] {
  const operation = api.router.getOperation(operationId);
  if (!operation) return [`unknown operation ${operationId}`];
  const response = operation.responses?.[String(status)];
  const contentType = headers ? mediaTypes(String(lowerCaseHeaders(headers)['content-type'] ?? ''))[0] : undefined;
  if (!response || '$ref' in response) {
    if (!README_ERROR_STATUSES.has(status)) return [`${operationId} documents no ${status} response`];
    const errors = apiErrorValidator(body) ? [] : describe(apiErrorValidator.errors, `response ${status}`);
    if (headers && contentType !== 'application/json')
      errors.push(`Content-Type: expected application/json, got "${contentType}"`);
    return errors;
  }
  const declared = Object.keys(response.content ?? {});
  const versioned = versionedMediaTypes(declared);
  const expectedType = versioned[0] ?? declared[0];
  const errors: string[] = [];
  if (headers && expectedType !== undefined && status !== 204 && contentType !== expectedType) {
    errors.push(`Content-Type: expected ${expectedType}, got "${contentType}"`);
  }
  const schema = response.content?.['application/json']?.schema;
  if (!schema) {
    if (body !== undefined && body !== '' && body !== null) errors.push(`response ${status} must have no body`);
    return errors;
  }
  errors.push(...describe(api.validator.validateResponse(body, operation, status).errors, `response ${status}`));
  if (headers) {
    const headerResult = api.validator.validateResponseHeaders(lowerCaseHeaders(headers), operation, {
      statusCode: status,
    });
    errors.push(...describe(headerResult.errors, `response ${status} headers`));
  }
  return errors;
}

function loadDocument(): Document {
  const spec = parse(readFileSync(SPEC_URL, 'utf8')) as Document;
  mergeDocument(spec, parse(readFileSync(SECOND_SPEC_URL, 'utf8')) as Document);
  for (const pathItem of Object.values(spec.paths ?? {})) {
    for (const operation of Object.values(pathItem ?? {})) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const { requestBody, responses } = operation as Operation;
      if (requestBody && 'content' in requestBody) aliasVersionedAsJson(requestBody.content);
      for (const response of Object.values(responses ?? {})) {
        if ('content' in response && response.content) aliasVersionedAsJson(response.content);
      }
    }
  }
  // The README: Atlas answers `desiredTimestamp: {"date": null, "time": null, "increment": null}`.
  const timestamp = spec.components?.schemas?.ApiBSONTimestamp;
  if (timestamp && 'properties' in timestamp && timestamp.properties) {
    for (const name of ['date', 'increment']) {
      const property = timestamp.properties[name];
      if (property && !('$ref' in property)) Object.assign(property, { nullable: true });
    }
  }
  return spec;
}

/** Adds the paths and components `from` has and `into` lacks (the first slice wins where both have one). */
function mergeDocument(into: Document, from: Document): void {
  into.paths = { ...from.paths, ...into.paths };
  into.components ??= {};
  const components = into.components as Record<string, Record<string, unknown>>;
  for (const [kind, entries] of Object.entries(from.components ?? {})) {
    components[kind] = { ...(entries as Record<string, unknown>), ...components[kind] };
  }
}

function aliasVersionedAsJson(content: Record<string, { schema?: unknown }>): void {
  const versioned = Object.keys(content).find((type) => ATLAS_MEDIA_TYPE.test(type));
  const schema = versioned ? content[versioned]?.schema : undefined;
  if (schema && !content['application/json']) content['application/json'] = { schema };
}

function successContent(operation: Operation): string[] {
  return Object.entries(operation.responses ?? {})
    .filter(([status]) => status.startsWith('2'))
    .flatMap(([, response]) => ('content' in response && response.content ? Object.keys(response.content) : []));
}

function versionedMediaTypes(types: readonly string[]): string[] {
  return [...new Set(types.filter((type) => ATLAS_MEDIA_TYPE.test(type)))];
}

function mediaTypes(header: string): string[] {
  return header
    .split(',')
    .map((range) => range.split(';')[0]?.trim().toLowerCase() ?? '')
    .filter(Boolean);
}

function lowerCaseHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) lowered[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return lowered;
}

function describe(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((error) => {
    const at = error.instancePath || '(root)';
    const detail = error.params && Object.keys(error.params).length > 0 ? ` ${JSON.stringify(error.params)}` : '';
    return `${where} ${at} ${error.message ?? error.keyword}${detail}`;
  });
}
