import { createRequire } from 'node:module';
import { compileErrors, validate as validateOpenApi } from '@readme/openapi-parser';
import type { Ajv2020 as AjvClass, ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

const require = createRequire(import.meta.url);
const { Ajv2020 } = require('ajv/dist/2020.js') as { Ajv2020: typeof AjvClass };
const addFormats = require('ajv-formats') as (ajv: AjvClass) => AjvClass;

type Json = Record<string, any>;

/** Every operation of a document with its method and path. */
export function operationsOf(doc: Json): { method: string; path: string; op: Json }[] {
  const out: { method: string; path: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) out.push({ method, path, op });
  }
  return out;
}

/** Throws with readable messages unless the document is a valid OpenAPI document. */
export async function expectValidOpenApi(doc: Json): Promise<void> {
  const result = await validateOpenApi(structuredClone(doc) as never);
  expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  expect(result.warnings).toEqual([]);
}

/** A JSON Schema 2020-12 validator for the document's component schemas (with formats). */
export function schemaValidator(doc: Json) {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const id = 'https://roster.invalid/openapi.json';
  ajv.addSchema({ $id: id, components: doc.components }, id);
  const cache = new Map<string, ValidateFunction>();
  const compile = (schema: Json): ValidateFunction => {
    const key = JSON.stringify(schema);
    let fn = cache.get(key);
    if (!fn) {
      // `#/components/...` refs resolve against the document.
      const rebased = schema.$ref
        ? { $ref: `${id}${schema.$ref}` }
        : { $id: `${id}/inline/${cache.size}`, ...schema };
      fn = ajv.compile(rebased);
      cache.set(key, fn);
    }
    return fn;
  };
  return {
    /** Asserts that `value` validates against `schema` (a `$ref` into the document or an inline schema). */
    expectValid(schema: Json, value: unknown, what: string): void {
      const fn = compile(schema);
      const ok = fn(value);
      expect(
        ok,
        `${what} does not match its schema: ${JSON.stringify(fn.errors)}\n${JSON.stringify(value)}`,
      ).toBe(true);
    },
    /** True when `value` validates (for negative checks). */
    isValid(schema: Json, value: unknown): boolean {
      return compile(schema)(value) as boolean;
    },
  };
}
