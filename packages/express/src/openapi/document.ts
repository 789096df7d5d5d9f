import { DEFAULT_LIMITS } from '@roster/core/schemas';
import { z } from 'zod';

/**
 * A small builder for OpenAPI 3.1 documents whose schemas come from zod schemas: request bodies
 * and parameters from the schemas core validates with (as JSON Schema of their *input*), responses
 * from the wire-format schemas beside each dialect (as JSON Schema of their *output*). Nothing is
 * restated by hand: `z.toJSONSchema` writes every schema in the document.
 */

export type JsonObject = Record<string, unknown>;

export interface ParameterSpec {
  name: string;
  in: 'path' | 'query';
  description: string;
  schema: z.ZodType;
  required?: boolean;
  example?: unknown;
}

export interface ResponseSpec {
  description: string;
  /** A named schema (see `DocumentSpec.schemas`) describing the JSON body. Absent: no body. */
  schema?: string;
  /** A whole example body; it must validate against `schema` (the tests check it). */
  example?: unknown;
  /** Other media types of the body, e.g. a CSV export. */
  content?: Record<string, { schema: JsonObject; example?: unknown }>;
}

export interface OperationSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/contacts/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: ParameterSpec[];
  /**
   * A named request schema (see `DocumentSpec.requests`) and an example body (required for JSON;
   * it must validate against the schema).
   * @default mediaType 'application/json'
   */
  body?: {
    schema: string;
    example?: unknown;
    mediaType?: 'application/json' | 'multipart/form-data';
    required?: boolean;
    description?: string;
  };
  responses: Record<number, ResponseSpec>;
}

/**
 * What the operations on one resource share: its path, tags, path parameters, and responses every
 * one of them may give (the 401, the resource's 404).
 */
export interface ResourceSpec {
  path: string;
  tags: string[];
  parameters: ParameterSpec[];
  responses: Record<number, ResponseSpec>;
}

/** An operation on a resource: `subpath` is added to the resource's path. */
export type ResourceOperationSpec = Omit<OperationSpec, 'path' | 'tags'> & { subpath?: string };

/**
 * The operations on one resource, each with the resource's path (and its own `subpath`), tags,
 * parameters (the resource's first) and responses (its own win).
 */
export function resourceOperations(
  resource: ResourceSpec,
  operations: ResourceOperationSpec[],
): OperationSpec[] {
  return operations.map(({ subpath = '', parameters = [], responses, ...op }) => ({
    ...op,
    path: resource.path + subpath,
    tags: resource.tags,
    parameters: [...resource.parameters, ...parameters],
    responses: { ...resource.responses, ...responses },
  }));
}

export interface DocumentSpec {
  title: string;
  version: string;
  description: string;
  /** Base URL of the API, relative to where the document is served, or absolute. */
  serverUrl: string;
  tags: { name: string; description: string }[];
  /** Request body schemas by name, rendered as the JSON Schema of the zod schema's input. */
  requests: Record<string, { schema: z.ZodType; description?: string }>;
  /** Response body schemas by name, rendered as the JSON Schema of the zod schema's output. */
  schemas: Record<string, { schema: z.ZodType; description?: string }>;
  operations: OperationSpec[];
}

/** A named schema of `DocumentSpec.schemas` with its description. */
export function described(
  schema: z.ZodType,
  description: string,
): { schema: z.ZodType; description: string } {
  return { schema, description };
}

/** The JSON Schema of a zod schema, without the `$schema` line (OpenAPI 3.1 schemas are 2020-12 already). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  return rest;
}

/**
 * Renders named schemas into `components.schemas`: schemas used inside each other become `$ref`s
 * (zod's registry does that), so e.g. a page of contacts refers to the contact schema.
 */
function components(
  named: Record<string, { schema: z.ZodType; description?: string }>,
  io: 'input' | 'output',
): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, { schema }] of Object.entries(named)) registry.add(schema, { id });
  const rendered = z.toJSONSchema(registry, {
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonObject> };
  const out: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(rendered.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    const description = named[id]?.description;
    out[id] = description ? { description, ...rest } : rest;
  }
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Builds the document. Throws if an operation names a schema the spec does not define. */
export function buildDocument(spec: DocumentSpec): JsonObject {
  const overlap = Object.keys(spec.requests).filter((name) => name in spec.schemas);
  if (overlap.length > 0) throw new Error(`openapi: schema names used twice: ${overlap.join(', ')}`);
  const schemas = { ...components(spec.schemas, 'output'), ...components(spec.requests, 'input') };

  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const op of spec.operations) {
    const responses: Record<string, JsonObject> = {};
    for (const [status, response] of Object.entries(op.responses)) {
      if (response.schema && !(response.schema in schemas))
        throw new Error(`openapi: ${op.operationId} ${status} uses unknown schema ${response.schema}`);
      const content: Record<string, JsonObject> = {};
      if (response.schema) {
        content['application/json'] = {
          schema: ref(response.schema),
          ...(response.example === undefined ? {} : { example: response.example }),
        };
      }
      for (const [type, media] of Object.entries(response.content ?? {})) content[type] = media;
      responses[status] = {
        description: response.description,
        ...(Object.keys(content).length > 0 ? { content } : {}),
      };
    }
    if (op.body && !(op.body.schema in schemas))
      throw new Error(`openapi: ${op.operationId} uses unknown request schema ${op.body.schema}`);
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: op.tags,
      ...(op.parameters?.length
        ? {
            parameters: op.parameters.map((p) => ({
              name: p.name,
              in: p.in,
              description: p.description,
              required: p.in === 'path' ? true : (p.required ?? false),
              schema: jsonSchema(p.schema, 'input'),
              ...(p.example === undefined ? {} : { example: p.example }),
            })),
          }
        : {}),
      ...(op.body
        ? {
            requestBody: {
              required: op.body.required ?? true,
              ...(op.body.description ? { description: op.body.description } : {}),
              content: {
                [op.body.mediaType ?? 'application/json']: {
                  schema: ref(op.body.schema),
                  ...(op.body.example === undefined ? {} : { example: op.body.example }),
                },
              },
            },
          }
        : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: { title: spec.title, version: spec.version, description: spec.description },
    servers: [{ url: spec.serverUrl }],
    tags: spec.tags,
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: `Authorization: Bearer <key>`',
        },
      },
      schemas,
    },
  };
}

/**
 * Mutual assignability and the same keys (an optional field on one side only would still be
 * assignable both ways): true only when the two types describe the same objects.
 */
export type SameType<A, B> = [A] extends [B]
  ? [B] extends [A]
    ? [keyof A] extends [keyof B]
      ? [keyof B] extends [keyof A]
        ? true
        : false
      : false
    : false
  : false;

/**
 * Compile-time proof that a response schema and the function that renders the body agree:
 * `assertSameType<z.output<typeof plunkContactSchema>, ReturnType<typeof toPlunkContact>>(true)`.
 */
export function assertSameType<A, B>(_proof: SameType<A, B>): void {}

/** Options of `plunkOpenApi` and `unosendOpenApi`. */
export interface OpenApiOptions {
  /**
   * The API's base URL as clients should call it: absolute, or relative to where the document is
   * served (OpenAPI resolves a relative server URL against the document's own URL).
   * @default '/' for Plunk (routes at `/contacts`), '/v1' for Unosend
   */
  serverUrl?: string;
  /**
   * The most ids one bulk request accepts (the roster's `limits.maxBulkIds`).
   * @default 1000
   */
  maxBulkIds?: number;
  /**
   * The largest CSV import accepted, in bytes (the roster's `limits.maxImportBytes`).
   * @default 5242880
   */
  maxImportBytes?: number;
}

/** The limits a document states, with defaults applied. */
export interface OpenApiLimits {
  maxBulkIds: number;
  maxImportBytes: number;
}

/**
 * Wraps a document builder: defaults applied once, each (server URL, limits) built once per
 * process, and every caller gets its own copy.
 */
export function cachedDocument(
  defaultServerUrl: string,
  build: (serverUrl: string, limits: OpenApiLimits) => JsonObject,
): (options?: OpenApiOptions) => JsonObject {
  const cache = new Map<string, JsonObject>();
  return (options = {}) => {
    const serverUrl = options.serverUrl ?? defaultServerUrl;
    const limits: OpenApiLimits = {
      maxBulkIds: options.maxBulkIds ?? DEFAULT_LIMITS.maxBulkIds,
      maxImportBytes: options.maxImportBytes ?? DEFAULT_LIMITS.maxImportBytes,
    };
    const key = JSON.stringify([serverUrl, limits]);
    let document = cache.get(key);
    if (!document) {
      document = build(serverUrl, limits);
      cache.set(key, document);
    }
    return structuredClone(document);
  };
}
