import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoster, type Roster } from '@roster/core';
import { type RunningServer, startServer } from '@roster/server';
import { createPgTestSchema, createTestRoster, describeEachDialect } from '@roster/test-harness';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../packages/server/test/cli-helpers.js';

/** Keys every JavaScript object inherits (or that name its prototype): data keys like any other. */
const PROTOTYPE_KEYS = ['toString', 'constructor', 'hasOwnProperty', 'valueOf', 'prototype'] as const;

/**
 * Property-based fuzz (issue #13, item 10): random bodies and query strings against every route of
 * both dialects on a real server, random data patches against a reference model of the merge rules.
 * Seeded and bounded; `FUZZ_RUNS=5000 FUZZ_SEED=7 pnpm vitest run test/fuzz.test.ts` for a long run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const TIMEOUT = Math.max(30_000, RUNS * 250);
const params = { numRuns: RUNS, seed: SEED, endOnFailure: true };

type Dialect = 'plunk' | 'unosend';
interface Route {
  method: string;
  path: string;
  dialect: Dialect;
  key: 'sk' | 'pk' | 'un';
}

const plunk = (method: string, path: string, key: Route['key'] = 'sk'): Route => ({
  method,
  path,
  dialect: 'plunk',
  key,
});
const unosend = (method: string, path: string): Route => ({ method, path, dialect: 'unosend', key: 'un' });

// Every route the server mounts, per dialect (/roster answers in Plunk's envelope).
const ROUTES: Route[] = [
  plunk('GET', '/contacts'),
  plunk('POST', '/contacts'),
  plunk('GET', '/contacts/:id'),
  plunk('PATCH', '/contacts/:id'),
  plunk('DELETE', '/contacts/:id'),
  plunk('POST', '/contacts/import'),
  plunk('GET', '/contacts/import/:id'),
  plunk('POST', '/contacts/bulk-subscribe'),
  plunk('POST', '/contacts/bulk-unsubscribe'),
  plunk('POST', '/contacts/bulk-delete'),
  plunk('GET', '/contacts/bulk/:id'),
  plunk('GET', '/segments'),
  plunk('POST', '/segments'),
  plunk('GET', '/segments/:id'),
  plunk('PATCH', '/segments/:id'),
  plunk('DELETE', '/segments/:id'),
  plunk('GET', '/segments/:id/contacts'),
  plunk('POST', '/segments/:id/members'),
  plunk('DELETE', '/segments/:id/members'),
  plunk('POST', '/segments/:id/compute'),
  plunk('POST', '/segments/:id/refresh'),
  plunk('POST', '/v1/track', 'pk'),
  plunk('GET', '/roster/project'),
  plunk('GET', '/roster/keys'),
  plunk('POST', '/roster/keys'),
  plunk('DELETE', '/roster/keys/:id'),
  plunk('GET', '/roster/imports/:id'),
  unosend('POST', '/v1/contacts'),
  unosend('GET', '/v1/contacts'),
  unosend('POST', '/v1/contacts/validate'),
  unosend('GET', '/v1/contacts/:id'),
  unosend('PATCH', '/v1/contacts/:id'),
  unosend('DELETE', '/v1/contacts/:id'),
  unosend('GET', '/v1/contacts/export'),
  plunk('GET', '/roster/contacts/export'),
  unosend('POST', '/v1/contacts/bulk'),
  unosend('POST', '/v1/contacts/import'),
  unosend('GET', '/v1/contacts/import/:id'),
  unosend('POST', '/v1/audiences'),
  unosend('GET', '/v1/audiences'),
  unosend('GET', '/v1/audiences/:id'),
  unosend('PATCH', '/v1/audiences/:id'),
  unosend('DELETE', '/v1/audiences/:id'),
];

// Strings that broke roster before: NUL, lone surrogates, percent junk, huge, spreadsheet formulas.
const poisoned = fc
  .tuple(
    fc.string({ maxLength: 5 }),
    fc.constantFrom('\u0000', '\uD800', '\uDC00'),
    fc.string({ maxLength: 5 }),
  )
  .map((parts) => parts.join(''));
const nastyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  poisoned,
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\uD800',
    'x\uDC00',
    '%ZZ',
    '%00',
    '__proto__',
    ...PROTOTYPE_KEYS,
    '=1+1',
    '1e400',
    '',
    ' ',
    'ada@example.com',
    'NOT-AN-EMAIL',
    'x'.repeat(300),
    '00000000-0000-7000-8000-000000000000',
    'STATIC',
    'DYNAMIC',
    'email',
    'data.plan',
    'equals',
    'contains',
    'AND',
    'OR',
  ),
);

function nest(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return value;
}

// Plunk segment condition trees: mostly well-formed so the fuzz reaches the filter compiler.
const filterArb = fc.record(
  {
    field: fc.oneof(
      fc.constantFrom(
        'email',
        'subscribed',
        'createdAt',
        'updatedAt',
        'data.plan',
        'data.a.b',
        'event.signed_up',
      ),
      nastyString.map((s) => `data.${s}`),
    ),
    operator: fc.oneof(
      fc.constantFrom(
        'equals',
        'notEquals',
        'contains',
        'notContains',
        'greaterThan',
        'lessThan',
        'exists',
        'notExists',
        'within',
        'olderThan',
        'triggered',
        'notTriggered',
      ),
    ),
    value: fc.oneof(nastyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
    unit: fc.constantFrom('days', 'hours', 'minutes', 'weeks'),
  },
  { requiredKeys: ['field', 'operator'] },
);
const simpleCondition = fc.record({
  logic: fc.constantFrom('AND', 'OR'),
  groups: fc.tuple(
    fc.record({
      filters: fc.tuple(
        fc.record({
          field: fc.oneof(
            fc.constant('data.plan'),
            nastyString.map((s) => `data.${s}`),
          ),
          operator: fc.constantFrom('equals', 'notEquals', 'contains'),
          value: nastyString,
        }),
      ),
    }),
  ),
});
const anyCondition: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  condition: fc.record(
    {
      logic: fc.constantFrom('AND', 'OR'),
      groups: fc.array(
        fc.record(
          {
            filters: fc.array(filterArb, { minLength: 1, maxLength: 3 }),
            conditions: tie('condition'),
          },
          { requiredKeys: ['filters'] },
        ),
        { minLength: 1, maxLength: 2 },
      ),
    },
    { requiredKeys: ['logic', 'groups'] },
  ),
})).condition;
const conditionArb = fc.oneof(simpleCondition, anyCondition);

const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(1e308, -0, Number.MAX_SAFE_INTEGER + 2),
    fc.integer({ min: 30, max: 3000 }).map((d) => nest(d, 'deep')),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
    fc.record(
      {
        email: nastyString,
        name: nastyString,
        data: tie('value'),
        metadata: tie('value'),
        filters: tie('value'),
        condition: fc.oneof(conditionArb, tie('value')),
        filter: tie('value'),
        event: nastyString,
        type: nastyString,
        emails: fc.array(nastyString, { maxLength: 3 }),
        ids: fc.array(nastyString, { maxLength: 3 }),
        contacts: tie('value'),
        subscribed: tie('value'),
        audience_id: nastyString,
        first_name: nastyString,
      },
      { requiredKeys: [] },
    ),
  ),
})).value;

// Field names the routes read, so the fuzz reaches past "body must be an object".
const FIELDS = [
  'email',
  'name',
  'data',
  'metadata',
  'filters',
  'filter',
  'event',
  'type',
  'emails',
  'ids',
  'contacts',
  'subscribed',
  'audience_id',
  'first_name',
  'last_name',
  'trackMembership',
  'condition',
  'mode',
  'excludeIds',
  'prefix',
  'unsubscribed',
  'action',
];

const segmentBody = fc.record(
  {
    name: nastyString,
    description: nastyString,
    condition: conditionArb,
    type: fc.constantFrom('DYNAMIC', 'STATIC'),
    trackMembership: fc.boolean(),
  },
  { requiredKeys: ['name', 'condition'] },
);
const trackBody = fc.record(
  { event: nastyString, email: nastyString, data: nastyValue, subscribed: fc.boolean() },
  { requiredKeys: ['event', 'email'] },
);
const anyBody = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), nastyValue, { maxKeys: 5 }),
  nastyValue,
  fc.constant(undefined),
);

/** A body for the route: mostly its own shape (so the fuzz gets past the first check), else anything. */
function bodyFor(route: Route): fc.Arbitrary<unknown> {
  if (route.path.startsWith('/segments')) return fc.oneof(segmentBody, anyBody);
  if (route.path === '/v1/track') return fc.oneof(trackBody, anyBody);
  return anyBody;
}
const request = fc.constantFrom(...ROUTES).chain((route) => fc.tuple(fc.constant(route), bodyFor(route)));

const QUERY_KEYS = [
  'limit',
  'cursor',
  'search',
  'subscribed',
  'page',
  'sort',
  'format',
  'audience_id',
  'offset',
  'escape_formulas',
  ...PROTOTYPE_KEYS,
];
const query = fc
  .dictionary(
    fc.constantFrom(...QUERY_KEYS),
    fc.oneof(nastyString, fc.integer({ min: -5, max: 1e6 }).map(String)),
    { maxKeys: 3 },
  )
  .map((q) =>
    Object.entries(q)
      .map(([k, v]) => `${k}=${encodeURIComponentLoose(v)}`)
      .join('&'),
  );

/** Percent-encodes, but lets a few raw `%` sequences through so malformed encodings reach the server. */
function encodeURIComponentLoose(value: string): string {
  if (value.startsWith('%')) return value;
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80'; // a lone surrogate cannot be encoded: send its raw UTF-8-ish bytes instead
  }
}

function isPlunkEnvelope(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as { success?: unknown; error?: unknown };
  // Plunk answers some errors in its flat {"error": "..."} shape (the error table of docs/plunk-api.md).
  if (typeof b.error === 'string') return b.error.length > 0;
  const e = b.error as { code?: unknown; message?: unknown; statusCode?: unknown } | undefined;
  return (
    b.success === false &&
    !!e &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    typeof e.statusCode === 'number'
  );
}

function isUnosendEnvelope(body: unknown): boolean {
  const e = (body as { error?: { message?: unknown; code?: unknown; type?: unknown } } | null)?.error;
  return !!e && typeof e.message === 'string' && typeof e.code === 'number' && typeof e.type === 'string';
}

let roster: Roster;
let server: RunningServer;
const keys = { sk: '', pk: '', un: '' };
let projectId: string;
let ids: string[] = [];
const serverErrors: unknown[] = [];

describeEachDialect('fuzz', (dialect) => {
  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    projectId = (await roster.projects.ensure('default')).id;
    keys.sk = (await roster.keys.create(projectId, { prefix: 'sk_' })).key;
    keys.pk = (await roster.keys.create(projectId, { prefix: 'pk_' })).key;
    keys.un = (await roster.keys.create(projectId, { prefix: 'un_' })).key;
    const contact = await roster.contacts.create(projectId, {
      email: 'seed@example.com',
      data: { plan: 'pro' },
    });
    ids = [contact.id];
    server = await startServer({ roster, port: 0, onError: (e) => serverErrors.push(e) });
  });
  afterAll(async () => {
    await server?.close();
    await roster?.close();
  });

  it(
    'answers random requests on every route without a 5xx, errors in the dialect envelope',
    async () => {
      const idArb = fc.oneof(fc.constantFrom(...ids), nastyString.map(encodeURIComponentLoose));
      await fc.assert(
        fc.asyncProperty(request, idArb, query, async ([route, payload], id, qs) => {
          const path = route.path.replace(':id', id || 'x');
          const url = `${server.url}${path}${qs ? `?${qs}` : ''}`;
          const hasBody = route.method !== 'GET' && payload !== undefined;
          const res = await fetch(url, {
            method: route.method,
            headers: {
              authorization: `Bearer ${keys[route.key]}`,
              ...(hasBody ? { 'content-type': 'application/json' } : {}),
            },
            body: hasBody ? JSON.stringify(payload) : undefined,
          });
          const text = await res.text();
          const where = `${route.method} ${path}${qs ? `?${qs}` : ''} ${hasBody ? JSON.stringify(payload).slice(0, 300) : ''}`;
          expect(res.status, `${where} -> ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
          if (res.status >= 400) {
            const parsed = text ? JSON.parse(text) : undefined;
            const ok = route.dialect === 'plunk' ? isPlunkEnvelope(parsed) : isUnosendEnvelope(parsed);
            expect(ok, `${where} -> ${res.status} ${text.slice(0, 300)}: not a ${route.dialect} error`).toBe(
              true,
            );
          }
        }),
        { ...params, numRuns: RUNS * 2 },
      );
      expect(serverErrors).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'merges random data patches like the reference model',
    async () => {
      const KEYS = ['a', 'b', 'c', 'n'];
      const leaf = fc.oneof(
        fc.string({ minLength: 1, maxLength: 6 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(''),
        fc.constant(null),
      );
      const value = fc.oneof(
        leaf,
        fc.dictionary(fc.constantFrom('x', 'y'), fc.oneof(leaf, fc.array(leaf, { maxLength: 2 })), {
          maxKeys: 2,
        }),
        fc.array(leaf, { maxLength: 3 }),
        leaf.map((v) => ({ value: v, persistent: false })),
        leaf.map((v) => ({ value: v, persistent: true })),
      );
      const patch = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 4 });

      /** The merge rules: null deletes a top-level key, '' and transient values are skipped, others replace whole. */
      function model(stored: Record<string, unknown>, p: Record<string, unknown>): Record<string, unknown> {
        const next = { ...stored };
        for (const [k, v] of Object.entries(p)) {
          if (v === null) delete next[k];
          else if (v === '') continue;
          else if (
            typeof v === 'object' &&
            !Array.isArray(v) &&
            'value' in v &&
            (v as { persistent?: unknown }).persistent === false
          )
            continue;
          else next[k] = v;
        }
        return next;
      }

      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(patch, { minLength: 1, maxLength: 5 }), async (patches) => {
          const email = `merge${n++}@example.com`;
          const created = await roster.contacts.create(projectId, { email });
          let expected: Record<string, unknown> = {};
          for (const p of patches) {
            const updated = await roster.contacts.update(projectId, created.id, { data: p });
            expected = model(expected, p);
            expect(updated.data ?? {}).toEqual(expected);
          }
          expect((await roster.contacts.get(projectId, created.id)).data ?? {}).toEqual(expected);
        }),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    'imports random CSVs like the reference model',
    async () => {
      // Cells: quotes, commas, CR/LF inside quotes, NUL, lone surrogates, huge values.
      const cell = fc.oneof(
        fc.stringMatching(/^[a-z0-9]{1,8}$/),
        fc.constantFrom(
          'a"b',
          'a,b',
          'a\r\nb',
          'line\nbreak',
          'x\u0000y',
          'x\uD800',
          'p'.repeat(20_000),
          '""',
        ),
      );
      const email = fc.oneof(
        fc.constantFrom('a', 'b', 'c').map((n) => `${n}@example.com`),
        fc.constantFrom('not-an-email', 'x\u0000@example.com'),
      );
      const csvArb = fc.record({
        rows: fc.array(fc.tuple(email, cell), { minLength: 1, maxLength: 8 }),
        bom: fc.boolean(),
        crlf: fc.boolean(),
      });
      const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
      // A file is UTF-8: a lone surrogate cannot be written, it arrives as U+FFFD; a NUL arrives as is.
      const bad = (v: string) => v.includes('\u0000');
      const utf8 = (v: string) => Buffer.from(v).toString('utf8');

      let n = 0;
      await fc.assert(
        fc.asyncProperty(csvArb, async ({ rows, bom, crlf }) => {
          const project = (await roster.projects.ensure(`csv-${n++}`)).id;
          const eol = crlf ? '\r\n' : '\n';
          const text = `${bom ? '\uFEFF' : ''}email,plan${eol}${rows.map(([e, p]) => `${quote(e)},${quote(p)}`).join(eol)}${eol}`;
          const job = await roster.imports.enqueue(project, { file: Buffer.from(text), name: 'fuzz.csv' });
          await roster.jobs.runOnce();
          const status = await roster.imports.status(project, job.id);
          expect(status?.state, JSON.stringify(status)).toBe('completed');
          // The model: a row fails alone when its email is invalid or a cell breaks the text rules; the
          // last good row of an email decides its plan.
          const plans = new Map<string, string>();
          let failures = 0;
          for (const [e, p] of rows) {
            if (!e.endsWith('@example.com') || bad(e) || bad(p)) failures++;
            else plans.set(e, utf8(p));
          }
          expect(status?.result).toMatchObject({
            totalRows: rows.length,
            failureCount: failures,
            successCount: rows.length - failures,
            createdCount: plans.size,
          });
          for (const [e, plan] of plans) {
            const contact = await roster.contacts.findByEmail(project, e);
            expect(contact?.data, e).toEqual({ plan });
          }
        }),
        { ...params, numRuns: Math.max(10, Math.round(RUNS / 5)) },
      );
    },
    TIMEOUT,
  );

  it(
    'exports a project whose contacts use every prototype-named key completely, in every dialect and the CLI',
    async () => {
      // Its own database, one the CLI can open too: a SQLite file or a PostgreSQL schema.
      const dir = mkdtempSync(join(tmpdir(), 'roster-proto-'));
      const pg = dialect === 'postgres' ? await createPgTestSchema() : undefined;
      const db = pg ? pg.url : join(dir, 'proto.db');
      const own = await createRoster({ database: db });
      const ownServer = await startServer({ roster: own, port: 0, onError: (e) => serverErrors.push(e) });
      try {
        const project = (await own.projects.ensure('default')).id;
        const sk = (await own.keys.create(project, { prefix: 'sk_' })).key;
        const un = (await own.keys.create(project, { prefix: 'un_' })).key;
        const call = async (path: string, key: string, body?: unknown) => {
          const res = await fetch(`${ownServer.url}${path}`, {
            method: body === undefined ? 'GET' : 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
          });
          return { status: res.status, text: await res.text() };
        };
        // What each contact should export: one per key through each dialect, then one without any.
        const expected = new Map<string, Record<string, string>>();
        for (const key of PROTOTYPE_KEYS) {
          const plunkEmail = `plunk-${key.toLowerCase()}@example.com`;
          expect(
            (await call('/contacts', sk, { email: plunkEmail, data: { [key]: `p-${key}` } })).status,
          ).toBe(201);
          expected.set(plunkEmail, { [key]: `p-${key}` });
          const unosendEmail = `unosend-${key.toLowerCase()}@example.com`;
          const created = await call('/v1/contacts', un, {
            email: unosendEmail,
            metadata: { [key]: `u-${key}` },
          });
          expect(created.status, created.text).toBe(201);
          expected.set(unosendEmail, { [key]: `u-${key}` });
        }
        expect(
          (await call('/contacts', sk, { email: 'plain@example.com', data: { plan: 'pro' } })).status,
        ).toBe(201);
        expected.set('plain@example.com', { plan: 'pro' });
        // `__proto__` is refused, by name, the same way in both dialects (JSON.parse keeps it as an own key).
        const plunkProto = await call(
          '/contacts',
          sk,
          '{"email":"proto@example.com","data":{"__proto__":"x"}}',
        );
        expect(plunkProto.status).toBe(400);
        expect(JSON.parse(plunkProto.text).error.errors).toEqual([
          { field: 'data.__proto__', message: 'is not allowed as a data key' },
        ]);
        const unosendProto = await call(
          '/v1/contacts',
          un,
          '{"email":"proto@example.com","metadata":{"__proto__":"x"}}',
        );
        expect(unosendProto.status).toBe(400);
        expect(JSON.parse(unosendProto.text).error.message).toBe(
          'metadata.__proto__: is not allowed as a data key',
        );

        const columns = [...PROTOTYPE_KEYS, 'plan'].sort();
        /** Checks one export's rows (email and data cells by column) against `expected`. */
        const checkRows = (where: string, rows: { email: string; data: Record<string, unknown> }[]) => {
          expect(rows.map((r) => r.email).sort(), where).toEqual([...expected.keys()].sort());
          for (const row of rows) {
            const want = expected.get(row.email)!;
            for (const column of columns) {
              // Own keys only, here too (`want.constructor` is Object's).
              const own = (o: Record<string, unknown>) => (Object.hasOwn(o, column) ? o[column] : '');
              expect(own(row.data), `${where} ${row.email} ${column}`).toBe(own(want));
            }
          }
        };
        const unquote = (line: string) => line.slice(1, -1).split('","');
        for (const [where, path, key] of [
          ['Unosend', '/v1/contacts/export', un],
          ['/roster', '/roster/contacts/export', sk],
        ] as const) {
          const csv = await call(`${path}?format=csv`, key);
          expect(csv.status, `${where} ${csv.text.slice(0, 300)}`).toBe(200);
          const [header, ...lines] = csv.text.trimEnd().split('\n');
          const names = header!.split(',');
          expect(names.slice(6), where).toEqual(columns.map((c) => `data.${c}`));
          checkRows(
            `${where} csv`,
            lines.map((line) => {
              const cells = unquote(line);
              return {
                email: cells[0]!,
                data: Object.fromEntries(columns.map((c, i) => [c, cells[6 + i]!])),
              };
            }),
          );
          const json = await call(`${path}?format=json`, key);
          expect(json.status, where).toBe(200);
          checkRows(
            `${where} json`,
            (JSON.parse(json.text).data as { email: string; metadata: Record<string, unknown> }[]).map(
              (c) => ({
                email: c.email,
                data: c.metadata,
              }),
            ),
          );
        }

        const cliCsv = await runCli(['export', '--db', db, '--no-progress']);
        expect(cliCsv.code, cliCsv.stderr).toBe(0);
        const [cliHeader, ...cliLines] = cliCsv.stdout.trimEnd().split('\n');
        // Keys with capitals are written `data.<key>` so they read back with their case.
        const cliNames = cliHeader!.split(',').map((name) => name.replace(/^data\./, ''));
        expect(cliNames).toEqual(['email', 'subscribed', ...columns]);
        checkRows(
          'CLI csv',
          cliLines.map((line) => {
            const cells = line.split(',');
            return { email: cells[0]!, data: Object.fromEntries(columns.map((c, i) => [c, cells[2 + i]!])) };
          }),
        );
        const cliJson = await runCli(['export', '--db', db, '--format', 'json', '--no-progress']);
        expect(cliJson.code, cliJson.stderr).toBe(0);
        checkRows(
          'CLI json',
          (JSON.parse(cliJson.stdout) as { email: string; data: Record<string, unknown> | null }[]).map(
            (c) => ({
              email: c.email,
              data: c.data ?? {},
            }),
          ),
        );
        expect(serverErrors).toEqual([]);
      } finally {
        await ownServer.close();
        await own.close();
        await pg?.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
