import { describe, expect, it } from 'vitest';
import { type CsvParseOptions, parseCsvRecords, type RecordBatch } from './csv-records.js';

const options: CsvParseOptions = {
  delimiter: ',',
  bom: true,
  relax_column_count: true,
  skip_empty_lines: true,
  max_record_size: 1 << 20,
};

/** `bytes` cut into chunks of `size` bytes, as a stored file or a file stream hands them over. */
async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

/** Every record with its byte offset and empty lines, or the error that ended the parse. */
async function collect(batches: AsyncGenerator<RecordBatch>) {
  const records: [string[], number, number][] = [];
  try {
    for await (const batch of batches) {
      for (let i = 0; i < batch.records.length; i++) {
        records.push([batch.records[i]!, batch.bytes[i]!, batch.empties[i]!]);
      }
    }
    return { records, error: null };
  } catch (error) {
    return { records, error: (error as { code?: string }).code ?? String(error) };
  }
}

/**
 * A file of `rows` records with a BOM, CRLF line ends, quoted cells holding delimiters and line
 * breaks, and empty lines here and there: every place where a record boundary can be tricky.
 */
function awkwardCsv(rows: number, tail = ''): Buffer {
  const lines = ['\ufeffemail,plan,note'];
  for (let i = 0; i < rows; i++) {
    if (i % 7 === 3) lines.push('');
    const note = i % 5 === 0 ? `"line one\r\nline, two ""${i}"""` : `n${i}`;
    lines.push(`user${i}@example.com,${i % 3 === 0 ? 'pro' : 'free'},${note}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n${tail}`);
}

describe('parseCsvRecords', () => {
  // The head parsed in this thread, then the worker from a record boundary: the same records,
  // byte offsets (after each record, from the source's start) and empty-line counts as in-thread.
  it.each([
    ['a head of 1 record, 64-byte chunks', 1, 64],
    ['a head of 250 records, 1 000-byte chunks', 250, 1000],
    ['a head of 999 records, 4 096-byte chunks', 999, 4096],
    ['a head of 5 000 records, more than the file (no worker needed)', 5000, 4096],
  ])('with %s, yields what the in-thread parse yields', async (_name, head, chunk) => {
    const csv = awkwardCsv(1200);
    const expected = await collect(parseCsvRecords(chunksOf(csv, chunk), options, false));
    expect(expected.records).toHaveLength(1201);
    expect(expected.records.at(-1)![1]).toBe(csv.byteLength);
    const actual = await collect(parseCsvRecords(chunksOf(csv, chunk), options, true, head));
    expect(actual).toEqual(expected);
  });

  it('without a head, yields what the in-thread parse yields', async () => {
    const csv = awkwardCsv(300);
    const expected = await collect(parseCsvRecords(chunksOf(csv, 512), options, false));
    expect(await collect(parseCsvRecords(chunksOf(csv, 512), options, true))).toEqual(expected);
  });

  it('a record that starts with U+FEFF after the head keeps it (the BOM is only stripped at the start)', async () => {
    const csv = Buffer.concat([awkwardCsv(50), Buffer.from('\ufeffz@example.com,pro,x\r\n')]);
    const expected = await collect(parseCsvRecords(chunksOf(csv, 256), options, false));
    expect(expected.records.at(-1)![0][0]).toBe('\ufeffz@example.com');
    expect(await collect(parseCsvRecords(chunksOf(csv, 256), options, true, 10))).toEqual(expected);
  });

  it.each([
    ['in the worker', 1],
    ['in the head', 5000],
  ])('an error found %s comes after the records before it', async (_where, head) => {
    const csv = awkwardCsv(400, 'bad@example.com,"unclosed\r\n');
    const expected = await collect(parseCsvRecords(chunksOf(csv, 700), options, false));
    expect(expected.error).toMatch(/^CSV_/);
    expect(expected.records).toHaveLength(401);
    expect(await collect(parseCsvRecords(chunksOf(csv, 700), options, true, head))).toEqual(expected);
  });

  it('closes the source when the caller stops early', async () => {
    const csv = awkwardCsv(3000);
    let closed = false;
    const source = async function* () {
      try {
        yield* chunksOf(csv, 1024);
      } finally {
        closed = true;
      }
    };
    for (const head of [0, 100]) {
      closed = false;
      for await (const batch of parseCsvRecords(source(), options, true, head)) {
        expect(batch.records.length).toBeGreaterThan(0);
        break;
      }
      expect(closed).toBe(true);
    }
  });
});
