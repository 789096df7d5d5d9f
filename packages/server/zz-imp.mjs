import { createRoster } from '@roster/core';

const [csv, db, worker, batch] = process.argv.slice(2);
const roster = await createRoster({
  database: db,
  sqlite: { cacheSizeKiB: 16384 },
  imports: { parseInWorker: worker === '1', batchSize: Number(batch || 10000) },
});
const project = await roster.projects.ensure('bench');
const { job } = await roster.imports.enqueueFromPath(project.id, csv, {});
const t0 = performance.now();
let j;
for (;;) {
  j = await roster.jobs.runJob(project.id, job.id);
  if (j.status === 'completed' || j.status === 'failed') break;
}
const s = (performance.now() - t0) / 1000;
console.log(
  `${j.status} ${j.result?.totalRows} rows ${(j.result?.totalRows / s).toFixed(0)} rows/s worker=${worker} batch=${batch} maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
await roster.close();
