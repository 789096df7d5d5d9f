// @ts-check
// A synchronous CSV parser fed chunk by chunk, shared by the parse worker (csv-parse-worker.js) and
// the in-thread parser (csv-records.ts). JavaScript (type-checked through JSDoc) so that the worker,
// which runs without a TypeScript loader, can import it from the sources as from dist/.
//
// It drives csv-parse's parser directly (`parser.api.parse`, the function its stream Transform
// calls per chunk) instead of through the stream with `info: true`: csv-parse then copies its
// info object for every record, and the stream buffers and emits every record as an event, which
// together cost about 40 % of the parse (5 MB: ~420 → ~280 ms of CPU). The records, errors and
// offsets are the same: each record is handed over the moment csv-parse completes it, when its
// live `info` holds the byte offset just after the record and the empty lines skipped so far.
import { parse } from 'csv-parse';

/**
 * @typedef {{ write(chunk: Uint8Array): void, end(): void }} ChunkParser
 * @typedef {(record: string[], bytes: number, emptyLines: number) => void} OnRecord
 */

/**
 * @param {import('csv-parse').Options} options
 * @param {OnRecord} onRecord called synchronously, in order, during `write` and `end`
 * @returns {ChunkParser} `write` and `end` throw csv-parse's error (its `code` starts with `CSV_`)
 */
export function createChunkParser(options, onRecord) {
  const parser = parse(options);
  /** @type {{ parse?: (chunk: Uint8Array | undefined, end: boolean, push: (record: string[]) => void, close: () => void) => Error | undefined }} */
  const api = /** @type {{ api?: never }} */ (parser).api ?? {};
  const run = api.parse;
  if (typeof run !== 'function') {
    throw new Error('roster needs csv-parse 6 (its parser.api.parse is missing): reinstall dependencies');
  }
  const info = parser.info;
  /** @param {string[]} record */
  const push = (record) => onRecord(record, info.bytes, info.empty_lines);
  const close = () => {};
  return {
    write(chunk) {
      // csv-parse works on Buffers (a view of the same memory: no copy).
      const buffer = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const error = run.call(api, buffer, false, push, close);
      if (error) throw error;
    },
    end() {
      const error = run.call(api, undefined, true, push, close);
      if (error) throw error;
    },
  };
}
