import { type Clock, isoNow } from '../clock.js';
import type { Db } from '../db/schema.js';
import { RosterError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import * as repo from './file-repository.js';

/** Size of the stored chunks: a file is written and read back one chunk at a time. */
export const FILE_CHUNK_BYTES = 256 * 1024;

export type FileSource = Uint8Array | AsyncIterable<Uint8Array>;

export interface StoredFile {
  id: string;
  size: number;
}

/**
 * Stores a file durably in the database, in chunks, within the caller's transaction (so the
 * file and the job that reads it commit together). More than `maxBytes` throws
 * `payload_too_large`; the caller's transaction then rolls back and nothing is stored.
 */
export async function storeFile(
  db: Db,
  clock: Clock,
  file: { projectId: string; name: string | null; source: FileSource; maxBytes: number },
): Promise<StoredFile> {
  const id = uuidv7();
  await repo.insertFile(db, {
    id,
    project_id: file.projectId,
    name: file.name,
    size: 0,
    created_at: isoNow(clock),
  });
  let size = 0;
  let seq = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    await repo.insertChunk(db, id, seq++, Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  const chunks = file.source instanceof Uint8Array ? [file.source] : file.source;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > file.maxBytes) {
      throw RosterError.payloadTooLarge(`The file is larger than the limit of ${file.maxBytes} bytes`, {
        field: 'file',
        limit: file.maxBytes,
      });
    }
    for (let offset = 0; offset < chunk.byteLength; ) {
      const take = Math.min(FILE_CHUNK_BYTES - pendingBytes, chunk.byteLength - offset);
      pending.push(chunk.subarray(offset, offset + take));
      pendingBytes += take;
      offset += take;
      if (pendingBytes === FILE_CHUNK_BYTES) await flush();
    }
  }
  await flush();
  await repo.setFileSize(db, id, size);
  return { id, size };
}

/**
 * Streams a stored file back, one chunk (one query) at a time, starting at byte `start`.
 * Memory stays at one chunk whatever the file's size. With the file's `size` (as stored), it stops
 * after the chunk that reaches it instead of asking for one more.
 */
export async function* readFile(
  db: Db,
  fileId: string,
  start = 0,
  size?: number,
): AsyncGenerator<Uint8Array> {
  let position = 0;
  let seq = 0;
  while (size === undefined || position < size) {
    const chunk = await repo.findChunk(db, fileId, seq);
    if (!chunk) return;
    seq = chunk.seq + 1;
    const bytes = Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
    const end = position + bytes.byteLength;
    if (end > start) yield position >= start ? bytes : bytes.subarray(start - position);
    position = end;
  }
}

export const deleteFile = repo.deleteFile;
export const findFile = repo.findFile;
