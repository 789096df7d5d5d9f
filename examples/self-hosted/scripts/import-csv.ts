/**
 * Imports a CSV into a roster server over its Plunk-compatible HTTP API, then polls the job until
 * it is done:
 *
 *   ROSTER_URL=http://127.0.0.1:8080 ROSTER_KEY=sk_self_hosted_example_key tsx scripts/import-csv.ts contacts.csv
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ImportJobStatus {
  id: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  result: {
    totalRows: number;
    successCount: number;
    createdCount: number;
    updatedCount: number;
    failureCount: number;
    errors: { row: number; email: string; error: string }[];
  } | null;
  failedReason?: string;
}

export interface ImportOptions {
  url: string;
  key: string;
  file: string;
  /** Between two status requests. @default 200 */
  pollMs?: number;
  /** Give up after this long. @default 60000 */
  timeoutMs?: number;
  onProgress?: (status: ImportJobStatus) => void;
}

async function answer<T>(response: Response, what: string): Promise<T> {
  const body = await response.text();
  if (!response.ok) throw new Error(`${what} failed with ${response.status}: ${body}`);
  return JSON.parse(body) as T;
}

/** Uploads `file` to `POST /contacts/import` and waits for the job; resolves with its final status. */
export async function importCsv(options: ImportOptions): Promise<ImportJobStatus> {
  const base = options.url.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${options.key}` };
  const form = new FormData();
  form.append('file', new Blob([await readFile(options.file)], { type: 'text/csv' }), basename(options.file));
  const { jobId } = await answer<{ jobId: string }>(
    await fetch(`${base}/contacts/import`, { method: 'POST', headers, body: form }),
    'Upload',
  );

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (true) {
    const status = await answer<ImportJobStatus>(
      await fetch(`${base}/contacts/import/${jobId}`, { headers }),
      'Status request',
    );
    options.onProgress?.(status);
    if (status.state === 'completed' || status.state === 'failed') return status;
    if (Date.now() > deadline) throw new Error(`Import ${jobId} still ${status.state} after the timeout`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
  }
}

// Run as a script.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  const url = process.env.ROSTER_URL ?? 'http://127.0.0.1:8080';
  const key = process.env.ROSTER_KEY;
  if (!file || !key) {
    console.error('usage: ROSTER_URL=... ROSTER_KEY=sk_... tsx scripts/import-csv.ts <file.csv>');
    process.exit(2);
  }
  const status = await importCsv({
    url,
    key,
    file,
    onProgress: (s) => console.log(`job ${s.id}: ${s.state} ${s.progress}%`),
  });
  if (status.state === 'failed') {
    console.error(`import failed: ${status.failedReason}`);
    process.exit(1);
  }
  const r = status.result!;
  console.log(
    `imported ${r.successCount} of ${r.totalRows} rows (${r.createdCount} new, ${r.updatedCount} updated, ${r.failureCount} rejected)`,
  );
  for (const e of r.errors) console.log(`  row ${e.row} (${e.email}): ${e.error}`);
}
