import { describeEachDialect, eachTestRoster } from '@roster/test-harness';
import { expect, it } from 'vitest';
import { hashApiKey, type Roster } from '../index.js';

let roster: Roster;

describeEachDialect('api keys', (dialect) => {
  eachTestRoster(dialect, [], (r) => {
    roster = r;
  });

  it('stores only a SHA-256 hash of a created key and resolves the key to its project', async () => {
    const project = await roster.projects.ensure('acme');
    const created = await roster.keys.create(project.id);
    expect(created.key).toMatch(/^sk_[0-9a-f]{48}$/);
    const stored = await roster.db.selectFrom('roster_api_keys').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.key_hash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(stored)).not.toContain(created.key);
    expect(await roster.keys.resolve(created.key)).toEqual({
      projectId: project.id,
      keyId: created.id,
      prefix: 'sk_',
    });
    expect(await roster.keys.resolve(`${created.key}x`)).toBeNull();
  });

  it('mints keys with another prefix', async () => {
    const project = await roster.projects.ensure('acme');
    expect((await roster.keys.create(project.id, { prefix: 'un_' })).key).toMatch(/^un_/);
    await expect(roster.keys.create(project.id, { prefix: 'BAD' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ field: 'prefix', message: expect.stringContaining('lowercase letters') }] },
    });
  });

  it('registers a chosen key idempotently and refuses it for another project', async () => {
    const a = await roster.projects.ensure('a');
    const b = await roster.projects.ensure('b');
    const first = await roster.keys.register(a.id, 'sk_test_known_key');
    expect(await roster.keys.register(a.id, 'sk_test_known_key')).toEqual(first);
    await expect(roster.keys.register(b.id, 'sk_test_known_key')).rejects.toMatchObject({ code: 'conflict' });
    expect((await roster.keys.resolve('sk_test_known_key'))?.projectId).toBe(a.id);
  });

  it('stops resolving a revoked key', async () => {
    const project = await roster.projects.ensure('acme');
    const created = await roster.keys.create(project.id);
    await roster.keys.revoke(created.id);
    expect(await roster.keys.resolve(created.key)).toBeNull();
    expect(await roster.keys.countActive()).toBe(0);
    await expect(roster.keys.revoke(created.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers a key it resolved a moment ago synchronously, until the key is revoked', async () => {
    const project = await roster.projects.ensure('acme');
    const created = await roster.keys.create(project.id);
    expect(roster.keys.resolveCached(created.key)).toBeUndefined(); // never resolved yet
    const resolution = await roster.keys.resolve(created.key);
    expect(roster.keys.resolveCached(created.key)).toEqual(resolution);
    expect(roster.keys.resolveCached(`${created.key}x`)).toBeUndefined();
    await roster.keys.revoke(created.id);
    expect(roster.keys.resolveCached(created.key)).toBeUndefined();
    expect(await roster.keys.resolve(created.key)).toBeNull();
    expect(roster.keys.resolveCached(created.key)).toBeUndefined();
  });

  it('revokes only a key of the given project when one is named', async () => {
    const a = await roster.projects.ensure('a');
    const b = await roster.projects.ensure('b');
    const key = await roster.keys.create(a.id);
    await expect(roster.keys.revoke(key.id, { projectId: b.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(roster.keys.revoke('not-a-uuid', { projectId: a.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await roster.keys.resolve(key.key))?.projectId).toBe(a.id);
    await roster.keys.revoke(key.id, { projectId: a.id });
    expect(await roster.keys.resolve(key.key)).toBeNull();
  });
});
