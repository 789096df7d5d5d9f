import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInflateRaw } from 'node:zlib';
import { RosterError } from '../errors.js';

/**
 * A minimal ZIP reader on node:zlib, for the export archives of other tools (Mailchimp's audience
 * export): the central directory lists the entries, and an entry is streamed in place (stored or
 * deflated), never extracted to disk. ZIP64 and encrypted archives are refused with a clear error.
 */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  /** Where the entry's local header starts in the archive. */
  headerOffset: number;
  compressedSize: number;
  /** Its uncompressed size. */
  size: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_EOCD_SEARCH = 22 + 0xffff;

const notZip = (path: string, why: string) =>
  RosterError.validation([
    { field: 'file', message: `${path} is not a ZIP archive roster can read (${why})` },
  ]);

/** True if the file starts like a ZIP archive (`PK\x03\x04`). */
export async function looksLikeZip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readUInt32LE(0) === LOCAL;
  } finally {
    await handle.close();
  }
}

/** The archive's file entries (folders left out), as its central directory lists them. */
export async function readZipEntries(path: string): Promise<ZipEntry[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tailSize = Math.min(size, MAX_EOCD_SEARCH);
    const tail = Buffer.alloc(tailSize);
    await handle.read(tail, 0, tailSize, size - tailSize);
    let at = -1;
    for (let i = tailSize - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at === -1) throw notZip(path, 'no end of central directory');
    const count = tail.readUInt16LE(at + 10);
    const cdSize = tail.readUInt32LE(at + 12);
    const cdOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || cdOffset === 0xffffffff) throw notZip(path, 'ZIP64 archives are not supported');
    if (cdOffset + cdSize > size) throw notZip(path, 'its central directory lies outside the file');
    const cd = Buffer.alloc(cdSize);
    await handle.read(cd, 0, cdSize, cdOffset);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL)
        throw notZip(path, 'a damaged central directory');
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const compressedSize = cd.readUInt32LE(p + 20);
      const uncompressed = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const headerOffset = cd.readUInt32LE(p + 42);
      const name = cd.subarray(p + 46, p + 46 + nameLength).toString('utf8');
      p += 46 + nameLength + extraLength + commentLength;
      if (name.endsWith('/')) continue;
      if (flags & 1) throw notZip(path, `${name} is encrypted`);
      if (method !== 0 && method !== 8) throw notZip(path, `${name} uses compression method ${method}`);
      if (compressedSize === 0xffffffff || uncompressed === 0xffffffff)
        throw notZip(path, 'ZIP64 archives are not supported');
      entries.push({ name, method, headerOffset, compressedSize, size: uncompressed });
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** Streams an entry's uncompressed bytes from `start` (earlier bytes are inflated and dropped). */
export async function* openZipEntry(
  path: string,
  entry: ZipEntry,
  start: number,
): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  let dataOffset: number;
  try {
    const local = Buffer.alloc(30);
    await handle.read(local, 0, 30, entry.headerOffset);
    if (local.readUInt32LE(0) !== LOCAL) throw notZip(path, `a damaged local header for ${entry.name}`);
    dataOffset = entry.headerOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await handle.close();
  }
  if (entry.compressedSize === 0) return;
  const raw = createReadStream(path, {
    start: dataOffset,
    end: dataOffset + entry.compressedSize - 1,
    highWaterMark: 256 * 1024,
  });
  const stream = entry.method === 8 ? raw.pipe(createInflateRaw()) : raw;
  let skipped = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (skipped >= start) {
        yield chunk;
        continue;
      }
      const drop = Math.min(start - skipped, chunk.byteLength);
      skipped += drop;
      if (drop < chunk.byteLength) yield chunk.subarray(drop);
    }
  } finally {
    raw.destroy();
    if (stream !== raw) (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
}
