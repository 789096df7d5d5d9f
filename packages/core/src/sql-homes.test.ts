import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** A query builder call or a raw SQL template: what only `<area>-repository.ts` files may hold. */
const SQL = /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(|\bsql(<[^>]*>)?`/g;

/** Files that compose repository functions and must not run SQL of their own (CONTRIBUTING.md). */
const NO_SQL = [
  'roster.ts',
  'segments/segment-service.ts',
  'idempotency/idempotency-service.ts',
  'topics/topic-service.ts',
  'migrate/migrate-service.ts',
  'audit/audit-service.ts',
  'rate-limits/rate-limit-service.ts',
  'stats/stats-service.ts',
  'suppressions/suppression-service.ts',
  'suppressions/suppression-inbound.ts',
  'consent/personal-data.ts',
];

describe('SQL lives in repositories', () => {
  it.each(NO_SQL)('%s runs no SQL of its own', (file) => {
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(source.match(SQL) ?? []).toEqual([]);
  });
});
