import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';
import { FILE_CHUNK_BYTES, readFile, storeFile } from './file-store.js';

let roster: Roster;
let projectId: string;

async function collect(source: AsyncIterable<Uint8Array>): Promise<{ bytes: Buffer; parts: number }> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return { bytes: Buffer.concat(parts), parts: parts.length };
}

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describeEachDialect('file store', (dialect) => {
  beforeEach(async () => {
    roster = await createTestRoster(dialect);
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(() => roster.close());

  const content = Buffer.from(Array.from({ length: 2.5 * FILE_CHUNK_BYTES }, (_, i) => i % 251));

  it('stores a stream in fixed-size chunks and reads it back chunk by chunk', async () => {
    const stored = await storeFile(roster.db, () => new Date(), {
      projectId,
      name: 'x.bin',
      source: pieces(content, 10_000),
      maxBytes: content.length,
    });
    expect(stored.size).toBe(content.length);
    const chunks = await roster.db
      .selectFrom('roster_file_chunks')
      .select('seq')
      .where('file_id', '=', stored.id)
      .execute();
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    const all = await collect(readFile(roster.db, stored.id));
    expect(all.parts).toBe(3);
    expect(all.bytes.equals(content)).toBe(true);
  });

  it('reads from any byte offset', async () => {
    const stored = await storeFile(roster.db, () => new Date(), {
      projectId,
      name: null,
      source: content,
      maxBytes: 1e9,
    });
    for (const start of [
      0,
      1,
      FILE_CHUNK_BYTES - 1,
      FILE_CHUNK_BYTES,
      2 * FILE_CHUNK_BYTES + 5,
      content.length,
    ]) {
      const { bytes } = await collect(readFile(roster.db, stored.id, start));
      expect(bytes.equals(content.subarray(start))).toBe(true);
    }
  });

  it('refuses a file over the limit', async () => {
    await expect(
      storeFile(roster.db, () => new Date(), {
        projectId,
        name: null,
        source: pieces(content, 1000),
        maxBytes: 5000,
      }),
    ).rejects.toMatchObject({ code: 'payload_too_large' });
  });
});
