// Parses CSV bytes off the main thread, so parsing overlaps with the database writes of an import.
// Plain JavaScript on purpose: a worker must load without a TypeScript loader. Protocol (see
// csv-records.ts): in `{ type: 'chunk', bytes }` and `{ type: 'end' }`; out `{ type: 'records',
// records, bytes, empties }` (per record: the fields, the byte offset after it, the empty lines
// skipped so far), then `{ type: 'done' }` or `{ type: 'error', message, code }`.
import { parentPort, workerData } from 'node:worker_threads';
import { parse } from 'csv-parse';

const parser = parse({ ...workerData.options, info: true });
let records = [];
let bytes = [];
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
  parentPort.postMessage(message, [message.bytes.buffer, message.empties.buffer]);
  records = [];
  bytes = [];
  empties = [];
}

parser.on('data', (entry) => {
  records.push(entry.record);
  bytes.push(entry.info.bytes);
  empties.push(entry.info.empty_lines);
  if (records.length >= workerData.batchSize) flush();
});
parser.on('end', () => {
  flush();
  parentPort.postMessage({ type: 'done' });
});
parser.on('error', (error) => {
  if (failed) return;
  failed = true;
  flush();
  parentPort.postMessage({ type: 'error', message: error.message, code: error.code });
});

parentPort.on('message', (message) => {
  if (failed) return;
  if (message.type === 'chunk') parser.write(Buffer.from(message.bytes), () => flush());
  else if (message.type === 'end') parser.end();
});
