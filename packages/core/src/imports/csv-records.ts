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
 *
 * With a worker, the first `headRecords` records (to the end of the chunk that completes them) are
 * parsed in this thread while the worker starts: a worker takes ~0.1–0.2 s to load csv-parse and
 * parse its first records, which the caller would otherwise wait for before its first write. The
 * worker then parses from the byte just after the last record of that chunk (a record boundary,
 * as where an import resumes); its positions are shifted to count from the source's start.
 */
export function parseCsvRecords(
  source: AsyncIterable<Uint8Array>,
  options: CsvParseOptions,
  worker: boolean,
  headRecords = 0,
): AsyncGenerator<RecordBatch> {
  return worker ? parseInWorker(source, options, headRecords) : parseInThread(source, options);
}

/**
 * A chunk parser whose records collect into batches of `RECORDS_PER_MESSAGE` (`onRecord` sees each
 * record's end offset and empty-line count), and `drain`, which yields the full batches and the
 * one being filled: records parsed before an error are yielded first (the import's line count
 * stays right).
 */
function batchingParser(
  options: CsvParseOptions,
  onRecord?: (bytes: number, emptyLines: number) => void,
): { parser: ReturnType<typeof createChunkParser>; drain: () => Generator<RecordBatch> } {
  let batch = { records: [] as string[][], bytes: [] as number[], empties: [] as number[] };
  const ready: RecordBatch[] = [];
  const parser = createChunkParser(options, (record, bytes, emptyLines) => {
    batch.records.push(record);
    batch.bytes.push(bytes);
    batch.empties.push(emptyLines);
    onRecord?.(bytes, emptyLines);
    if (batch.records.length >= RECORDS_PER_MESSAGE) {
      ready.push(batch);
      batch = { records: [], bytes: [], empties: [] };
    }
  });
  const drain = function* (): Generator<RecordBatch> {
    if (batch.records.length > 0) {
      ready.push(batch);
      batch = { records: [], bytes: [], empties: [] };
    }
    while (ready.length > 0) yield ready.shift()!;
  };
  return { parser, drain };
}

async function* parseInThread(
  source: AsyncIterable<Uint8Array>,
  options: CsvParseOptions,
): AsyncGenerator<RecordBatch> {
  // Pull-based: a chunk is read and parsed only when the caller wants more records, so a slow
  // consumer holds back the file read and memory stays at about one chunk's records.
  const { parser, drain } = batchingParser(options);
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
  headRecords: number,
): AsyncGenerator<RecordBatch> {
  const worker = new Worker(new URL('./csv-parse-worker.js', import.meta.url), {
    // After a head parsed here, the worker starts at a record boundary: no BOM to strip there.
    workerData: {
      options: headRecords > 0 ? { ...options, bom: false } : options,
      batchSize: RECORDS_PER_MESSAGE,
    },
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

  const chunks = source[Symbol.asyncIterator]();
  /** Where the worker starts: the bytes and empty lines of the head parsed in this thread. */
  let shiftBytes = 0;
  let shiftEmpties = 0;
  let fed = 0;
  let consumed = 0;
  let stopped = false;
  let resumeFeeding: (() => void) | null = null;
  let feeding: Promise<void> | null = null;
  const feed = (chunk: Uint8Array) => {
    const copy = new Uint8Array(chunk); // own buffer, so it can be transferred
    worker.postMessage({ type: 'chunk', bytes: copy.buffer }, [copy.buffer]);
    fed += copy.byteLength;
  };
  const startFeeding = (first: Uint8Array | null) => {
    feeding = (async () => {
      if (first && first.byteLength > 0) feed(first);
      for (;;) {
        if (stopped) {
          await chunks.return?.();
          return;
        }
        const next = await chunks.next();
        if (next.done) break;
        if (stopped) {
          await chunks.return?.();
          return;
        }
        feed(next.value);
        while (!stopped && fed - consumed > MAX_IN_FLIGHT_BYTES) {
          await new Promise<void>((resolve) => {
            resumeFeeding = resolve;
          });
        }
      }
      worker.postMessage({ type: 'end' });
    })().catch((error: unknown) => {
      inbox.push({ type: 'failure', error });
      notify();
    });
  };

  try {
    if (headRecords > 0) {
      // The head, in this thread, while the worker starts.
      let count = 0;
      let lastBytes = 0;
      let lastEmpties = 0;
      const { parser, drain } = batchingParser(options, (bytes, emptyLines) => {
        count++;
        lastBytes = bytes;
        lastEmpties = emptyLines;
      });
      let position = 0;
      for (;;) {
        const next = await chunks.next();
        if (next.done) {
          // The whole source was the head: the worker was not needed.
          try {
            parser.end();
          } catch (error) {
            yield* drain();
            throw error;
          }
          yield* drain();
          return;
        }
        const chunk = next.value;
        const start = position;
        position += chunk.byteLength;
        try {
          parser.write(chunk);
        } catch (error) {
          yield* drain();
          throw error;
        }
        if (count >= headRecords && lastBytes >= start) {
          // The worker goes on from the end of the chunk's last record (the rest of the chunk is
          // the start of the next one), fed before the head is handed over, so it parses while
          // the caller writes the head's rows.
          shiftBytes = lastBytes;
          shiftEmpties = lastEmpties;
          fed = consumed = lastBytes;
          startFeeding(chunk.subarray(lastBytes - start));
          yield* drain();
          break;
        }
        yield* drain();
      }
    } else startFeeding(null);

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
      if (shiftBytes > 0 || shiftEmpties > 0) {
        for (let i = 0; i < message.bytes.length; i++) message.bytes[i]! += shiftBytes;
        for (let i = 0; i < message.empties.length; i++) message.empties[i]! += shiftEmpties;
      }
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
    if (feeding) await feeding;
    else await chunks.return?.();
  }
}
