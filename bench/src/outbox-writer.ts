/**
 * One writer process of the `pg-outbox` suite (bench/src/suites/pg-outbox.ts): opens roster on
 * the PostgreSQL URL with the job runner started (so the webhook fan-out runs here too), prints
 * `ready`, waits for a line on stdin, then upserts contacts `from..from+count-1` (distinct emails)
 * with `inFlight` upserts at a time and prints, as its last line, the seconds it took and the
 * microseconds of CPU this process spent meanwhile (its fan-out and deliveries included).
 */
import { createRoster } from '@roster/core';
import { dataOf, emailOf, rowOf } from './data.js';

const spec = JSON.parse(process.argv[2]!) as {
  url: string;
  projectId: string;
  from: number;
  count: number;
  inFlight: number;
};
const roster = await createRoster({
  database: spec.url,
  migrate: false,
  jobs: { autoStart: true, onError: () => {} },
  webhooks: { allowPrivateTargets: true },
});
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let next = spec.from;
const end = spec.from + spec.count;
async function lane(): Promise<void> {
  while (next < end) {
    const i = next++;
    await roster.contacts.upsert(spec.projectId, { email: emailOf(i), data: dataOf(rowOf(i)) });
  }
}
await Promise.all(Array.from({ length: spec.inFlight }, lane));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${seconds} ${cpu.user + cpu.system}\n`);
await roster.close();
