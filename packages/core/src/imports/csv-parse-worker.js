// @ts-check
// Parses CSV bytes off the main thread, so parsing overlaps with the database writes of an import.
// JavaScript (type-checked through JSDoc, emitted to dist/ by tsc like every other module) on purpose:
// the same file loads as a worker from the sources in the workspace and from dist/ when installed,
// with no TypeScript loader in the worker's isolate. Protocol (see
// csv-records.ts): in `{ type: 'chunk', bytes }` and `{ type: 'end' }`; out `{ type: 'records',
// records, bytes, empties }` (per record: the fields, the byte offset after it, the empty lines
// skipped so far), then `{ type: 'done' }` or `{ type: 'error', message, code }`.
import { parentPort, workerData } from 'node:worker_threads';
import { createChunkParser } from './csv-chunk-parser.js';

if (!parentPort) throw new Error('csv-parse-worker.js runs only as a worker thread');
const port = parentPort;
/** @type {{ options: import('csv-parse').Options, batchSize: number }} */
const data = workerData;

/** @type {string[][]} */
let records = [];
/** @type {number[]} */
let bytes = [];
/** @type {number[]} */
let empties = [];
let failed = false;

function flush() {
  if (records.length === 0) return;
  const message = {
    type: 'records',
    records,
    bytes: Float64Array.from(bytes),
    empties: Int32Array.from(empties),
  };
  port.postMessage(message, [message.bytes.buffer, message.empties.buffer]);
  records = [];
  bytes = [];
  empties = [];
}

const parser = createChunkParser(data.options, (record, offset, emptyLines) => {
  records.push(record);
  bytes.push(offset);
  empties.push(emptyLines);
  if (records.length >= data.batchSize) flush();
});

/** @param {unknown} error */
function fail(error) {
  failed = true;
  flush(); // the records before the error, so the import's line count is right
  const { message, code } = /** @type {Error & { code?: string }} */ (error);
  port.postMessage({ type: 'error', message, code });
}

port.on('message', (/** @type {{ type: 'chunk', bytes: ArrayBuffer } | { type: 'end' }} */ message) => {
  if (failed) return;
  try {
    if (message.type === 'chunk') {
      parser.write(Buffer.from(message.bytes));
      flush();
    } else if (message.type === 'end') {
      parser.end();
      flush();
      port.postMessage({ type: 'done' });
    }
  } catch (error) {
    fail(error);
  }
});
