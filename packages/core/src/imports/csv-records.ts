import { Worker } from 'node:worker_threads';
import { createChunkParser } from './csv-chunk-parser.js';

/** The csv-parse options an import uses (the same in a worker and in this thread). */
export interface CsvParseOptions {
  delimiter: string;
  bom: boolean;
  relax_column_count: true;
  skip_empty_lines: true;
  max_record_size: number;
}

/** Parsed records with, per record, the byte offset just after it and the empty lines skipped so far. */
export interface RecordBatch {
  records: string[][];
  bytes: ArrayLike<number>;
  empties: ArrayLike<number>;
}

/** Bytes handed to the worker but not yet returned as records: bounds memory whatever the file size. */
const MAX_IN_FLIGHT_BYTES = 2 * 1024 * 1024;
const RECORDS_PER_MESSAGE = 2000;

/** A csv-parse error as raised by the worker (its `code` starts with `CSV_`). */
export class CsvParseError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CsvParseError';
  }
}

/**
 * Streams `source` through csv-parse and yields batches of records. With `worker` (the default
 * for imports) parsing runs in a worker thread, overlapping with the caller's database writes;
 * otherwise in this thread. Both yield the same records and positions.
 */
export function parseCsvRecords(
  source: AsyncIterable<Uint8Array>,
  options: CsvParseOptions,
  worker: boolean,
): AsyncGenerator<RecordBatch> {
  return worker ? parseInWorker(source, options) : parseInThread(source, options);
}

async function* parseInThread(
  source: AsyncIterable<Uint8Array>,
  options: CsvParseOptions,
): AsyncGenerator<RecordBatch> {
  // Pull-based: a chunk is read and parsed only when the caller wants more records, so a slow
  // consumer holds back the file read and memory stays at about one chunk's records.
  let batch = { records: [] as string[][], bytes: [] as number[], empties: [] as number[] };
  const ready: RecordBatch[] = [];
  const parser = createChunkParser(options, (record, bytes, emptyLines) => {
    batch.records.push(record);
    batch.bytes.push(bytes);
    batch.empties.push(emptyLines);
    if (batch.records.length >= RECORDS_PER_MESSAGE) {
      ready.push(batch);
      batch = { records: [], bytes: [], empties: [] };
    }
  });
  // Records parsed before an error are yielded first (the import's line count stays right).
  const drain = function* (): Generator<RecordBatch> {
    if (batch.records.length > 0) {
      ready.push(batch);
      batch = { records: [], bytes: [], empties: [] };
    }
    while (ready.length > 0) yield ready.shift()!;
  };
  for await (const chunk of source) {
    try {
      parser.write(chunk);
    } catch (error) {
      yield* drain();
      throw error;
    }
    yield* drain();
  }
  try {
    parser.end();
  } catch (error) {
    yield* drain();
    throw error;
  }
  yield* drain();
}

type WorkerMessage =
  | { type: 'records'; records: string[][]; bytes: Float64Array; empties: Int32Array }
  | { type: 'done' }
  | { type: 'error'; message: string; code: string };

async function* parseInWorker(
  source: AsyncIterable<Uint8Array>,
  options: CsvParseOptions,
): AsyncGenerator<RecordBatch> {
  const worker = new Worker(new URL('./csv-parse-worker.js', import.meta.url), {
    workerData: { options, batchSize: RECORDS_PER_MESSAGE },
    execArgv: [], // plain JavaScript: no TypeScript loader needed in the worker
    // A small young generation keeps the parser's short-lived garbage (and so RSS) small.
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  const inbox: (WorkerMessage | { type: 'failure'; error: unknown })[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  worker.on('message', (message: WorkerMessage) => {
    inbox.push(message);
    notify();
  });
  worker.on('error', (error) => {
    inbox.push({ type: 'failure', error });
    notify();
  });

  let fed = 0;
  let consumed = 0;
  let stopped = false;
  let resumeFeeding: (() => void) | null = null;
  const feeding = (async () => {
    for await (const chunk of source) {
      if (stopped) return;
      const copy = new Uint8Array(chunk); // own buffer, so it can be transferred
      worker.postMessage({ type: 'chunk', bytes: copy.buffer }, [copy.buffer]);
      fed += copy.byteLength;
      while (!stopped && fed - consumed > MAX_IN_FLIGHT_BYTES) {
        await new Promise<void>((resolve) => {
          resumeFeeding = resolve;
        });
      }
      if (stopped) return;
    }
    worker.postMessage({ type: 'end' });
  })().catch((error: unknown) => {
    inbox.push({ type: 'failure', error });
    notify();
  });

  try {
    for (;;) {
      const message = inbox.shift();
      if (!message) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      if (message.type === 'failure') throw message.error;
      if (message.type === 'error') throw new CsvParseError(message.message, message.code);
      if (message.type === 'done') return;
      consumed = message.bytes[message.bytes.length - 1] ?? consumed;
      yield message;
      const resume = resumeFeeding as (() => void) | null;
      resumeFeeding = null;
      resume?.();
    }
  } finally {
    stopped = true;
    (resumeFeeding as (() => void) | null)?.();
    await worker.terminate();
    await feeding;
  }
}
