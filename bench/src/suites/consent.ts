import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { startServer } from '@roster/server';
import type { BenchContext } from '../context.js';
import { freshDatabase } from '../fixtures.js';
import { percentile, result } from '../report.js';

/**
 * One-click unsubscribe (RFC 8058 `POST /unsubscribe/:token`, each a real flip of a different
 * contact: token verified from memory, the update, its events) against `GET /contacts/:id`
 * (Plunk, Bearer key), over real HTTP on one keep-alive connection, requests one at a time,
 * alternating, on a SQLite file. The goal: the unsubscribe's p50 within 1.5× of the read's.
 */
export async function consentSuite(ctx: BenchContext): Promise<void> {
  const samples = ctx.quick ? 300 : 2000;
  const unsubscribe: number[] = [];
  const repeat: number[] = [];
  const read: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const path = join(ctx.dir, `consent-${run}.db`);
    const { projectId } = await freshDatabase(path);
    const roster = await createRoster({ database: path, publicUrl: 'https://lists.example.com' });
    const server = await startServer({ roster, port: 0, host: '127.0.0.1', dashboard: false });
    try {
      const { key } = await roster.keys.create(projectId, { prefix: 'sk_' });
      const created = await roster.contacts.createMany(projectId, {
        contacts: Array.from({ length: samples + 20 }, (_, i) => ({ email: `one-click${i}@example.com` })),
      });
      const paths: string[] = [];
      for (const id of created.ids) {
        const link = (await roster.consent.unsubscribeHeaders(projectId, id))['List-Unsubscribe'];
        paths.push(new URL(link.slice(1, -1)).pathname);
      }
      const readPath = `/contacts/${created.ids[0]}`;
      const time = async (run: () => Promise<Response>) => {
        const start = performance.now();
        const res = await run();
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`bench consent: answered ${res.status}`);
        return performance.now() - start;
      };
      const u: number[] = [];
      const g: number[] = [];
      ctx.mark();
      for (let i = 0; i < paths.length; i++) {
        const tu = await time(() =>
          fetch(`${server.url}${paths[i]}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'List-Unsubscribe=One-Click',
          }),
        );
        const tg = await time(() =>
          fetch(`${server.url}${readPath}`, { headers: { authorization: `Bearer ${key}` } }),
        );
        // The first ones warm up the connection, the statements and the JIT.
        if (i >= 20) {
          u.push(tu);
          g.push(tg);
        }
      }
      // The same links again: each contact is already unsubscribed (a provider's retry, a second click).
      const r: number[] = [];
      for (let i = 20; i < paths.length; i++) {
        r.push(
          await time(() =>
            fetch(`${server.url}${paths[i]}`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'List-Unsubscribe=One-Click',
            }),
          ),
        );
      }
      unsubscribe.push(percentile(u, 50));
      repeat.push(percentile(r, 50));
      read.push(percentile(g, 50));
      ctx.log(
        `  run ${run + 1}: one-click p50 ${percentile(u, 50).toFixed(3)} ms, GET /contacts/:id p50 ${percentile(g, 50).toFixed(3)} ms`,
      );
    } finally {
      await server.close();
      await roster.close();
    }
  }
  ctx.add(
    result({
      name: `HTTP POST /unsubscribe/:token (one-click, ${samples} contacts one at a time) p50`,
      unit: 'ms',
      better: 'lower',
      values: unsubscribe,
      baseline: { name: 'GET /contacts/:id p50 (same connection, alternating)', values: read },
      minRatio: 1 / 1.5,
      note: 'ratio = read p50 / unsubscribe p50: at least 0.67 means within 1.5× of the read',
    }),
  );
  ctx.add(
    result({
      name: 'HTTP POST /unsubscribe/:token again (already unsubscribed: token check and one read) p50',
      unit: 'ms',
      better: 'lower',
      values: repeat,
      baseline: { name: 'GET /contacts/:id p50 (same connection, alternating)', values: read },
      minRatio: 1 / 1.5,
    }),
  );
}
