import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Db } from '../db/schema.js';
import { RosterError } from '../errors.js';
import { findFile, readFile } from '../files/file-store.js';
import type { ImportSource } from './import-types.js';
import { openZipEntry } from './zip-entries.js';

/** Streams the import's bytes from `start`, from the database or from disk. */
export function openImportSource(db: Db, source: ImportSource, start: number): AsyncIterable<Uint8Array> {
  if (source.kind === 'stored') return readFile(db, source.fileId, start, source.size);
  if (source.kind === 'zip') return openZipEntry(source.path, source.entry, start);
  return createReadStream(source.path, { start, highWaterMark: 256 * 1024 });
}

/** The first bytes of the source (to find the header line). */
export async function readHead(db: Db, source: ImportSource, max: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  const stream = openImportSource(db, source, 0);
  for await (const chunk of stream) {
    parts.push(chunk);
    size += chunk.byteLength;
    if (size >= max) break;
  }
  return Buffer.concat(parts).subarray(0, max);
}

/** Throws `job_failed` if the source is gone or changed since the job was queued. */
export async function checkImportSource(db: Db, source: ImportSource): Promise<void> {
  if (source.kind === 'stored') {
    if (!(await findFile(db, source.fileId))) {
      throw new RosterError('job_failed', 'The uploaded file of this import no longer exists');
    }
    return;
  }
  const info = await stat(source.path).catch(() => null);
  if (!info) throw new RosterError('job_failed', `The import file ${source.path} no longer exists`);
  const size = source.kind === 'zip' ? source.fileSize : source.size;
  if (info.size !== size || info.mtimeMs !== source.mtimeMs) {
    throw new RosterError('job_failed', `The import file ${source.path} changed after the import started`);
  }
}
