// Quick metric 10 probe: `node --conditions=@roster/source --import tsx src/bytes-probe.ts [contacts]`
// (from bench/): seeds a fresh file like the million suite, opens it with roster (substring index
// built), checkpoints, prints bytes per contact and the dbstat split.
import { statSync } from 'node:fs';
import { openRaw, seededRoster } from './fixtures.js';

const n = Number(process.argv[2] ?? 100_000);
const path = process.argv[3] ?? '/tmp/bytes-probe.db';
const { roster } = await seededRoster(path, n, (line) => console.log(line));
await roster.close();
const raw = openRaw(path);
raw.pragma('wal_checkpoint(TRUNCATE)');
const file = statSync(path).size;
const parts = raw
  .prepare('select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc')
  .all() as { name: string; bytes: number }[];
raw.close();
const per = (b: number) => (b / n).toFixed(1);
console.log(`bytes per contact: ${per(file)}`);
for (const p of parts) if (p.bytes / n >= 0.5) console.log(`  ${p.name} ${per(p.bytes)}`);
