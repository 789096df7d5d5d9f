import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { startServer } from '@roster/server';
import type { BenchContext } from '../context.js';
import { freshDatabase } from '../fixtures.js';
import { percentile, result } from '../report.js';

/**
 * One-click unsubscribe (RFC 8058 `POST /unsubscribe/:token`) over real HTTP on one keep-alive
 * connection, requests one at a time, alternating, on a SQLite file:
 *
 * - a first click (a real flip of a different contact: the token verified from memory, then the
 *   contact's write: update, consent event, change event, commit) against the same write made with
 *   a key, Plunk's `PATCH /contacts/:id {"subscribed": false}`;
 * - a repeat click (already unsubscribed: the token check and one read) against `GET /contacts/:id`.
 *
 * Verifying a token costs no database query (counted in consent-service.test.ts), so each pair
 * differs only by how the request is authenticated (a token opened with a cached key, or a Bearer
 * key resolved from memory) and by what the answer is (a small HTML page or JSON). The goal: each
 * within 1.5× of its baseline. (A first click is a write: against a read, it costs what the commit
 * of its transaction costs, ~0.8 ms on SQLite, which no token check can win back.)
 */
export async function consentSuite(ctx: BenchContext): Promise<void> {
  const samples = ctx.quick ? 300 : 2000;
  const warm = 200;
  const firstClick: number[] = [];
  const patch: number[] = [];
  const repeat: number[] = [];
  const read: number[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const path = join(ctx.dir, `consent-${run}.db`);
    const { projectId } = await freshDatabase(path);
    const roster = await createRoster({ database: path, publicUrl: 'https://lists.example.com' });
    const server = await startServer({ roster, port: 0, host: '127.0.0.1', dashboard: false });
    try {
      const { key } = await roster.keys.create(projectId, { prefix: 'sk_' });
      // Two contacts per sample (one unsubscribed by its link, one by PATCH), in chunks of 1000.
      const ids: string[] = [];
      const total = 2 * (samples + warm);
      for (let start = 0; start < total; start += 1000) {
        const created = await roster.contacts.createMany(projectId, {
          contacts: Array.from({ length: Math.min(1000, total - start) }, (_, i) => ({
            email: `one-click${start + i}@example.com`,
          })),
        });
        ids.push(...created.ids);
      }
      const links: string[] = [];
      for (let i = 0; i < samples + warm; i++) {
        const link = (await roster.consent.unsubscribeHeaders(projectId, ids[i]!))['List-Unsubscribe'];
        links.push(new URL(link.slice(1, -1)).pathname);
      }
      const patched = ids.slice(samples + warm);
      const readPath = `/contacts/${ids[0]}`;
      const time = async (send: () => Promise<Response>) => {
        const start = performance.now();
        const res = await send();
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`bench consent: answered ${res.status}`);
        return performance.now() - start;
      };
      const oneClick = (i: number) =>
        time(() =>
          fetch(`${server.url}${links[i]}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: 'List-Unsubscribe=One-Click',
          }),
        );
      const unsubscribeByKey = (i: number) =>
        time(() =>
          fetch(`${server.url}/contacts/${patched[i]}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: '{"subscribed":false}',
          }),
        );
      const get = () =>
        time(() => fetch(`${server.url}${readPath}`, { headers: { authorization: `Bearer ${key}` } }));
      // Warm-up: the connection, the statements, the JIT of every route measured (first clicks,
      // PATCH, repeats and reads), as the other suites warm theirs.
      for (let i = 0; i < warm; i++) {
        await oneClick(i);
        await unsubscribeByKey(i);
        await oneClick(i);
        await get();
      }
      const f: number[] = [];
      const p: number[] = [];
      const r: number[] = [];
      const g: number[] = [];
      ctx.mark();
      for (let i = warm; i < warm + samples; i++) {
        f.push(await oneClick(i));
        p.push(await unsubscribeByKey(i));
      }
      // The same links again: each contact is already unsubscribed (a provider's retry, a second click).
      for (let i = warm; i < warm + samples; i++) {
        r.push(await oneClick(i));
        g.push(await get());
      }
      firstClick.push(percentile(f, 50));
      patch.push(percentile(p, 50));
      repeat.push(percentile(r, 50));
      read.push(percentile(g, 50));
      ctx.log(
        `  run ${run + 1}: one-click p50 ${percentile(f, 50).toFixed(3)} ms, PATCH /contacts/:id p50 ${percentile(p, 50).toFixed(3)} ms; ` +
          `again p50 ${percentile(r, 50).toFixed(3)} ms, GET /contacts/:id p50 ${percentile(g, 50).toFixed(3)} ms`,
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
      values: firstClick,
      baseline: {
        name: 'PATCH /contacts/:id {subscribed: false} p50 (the same write with a key)',
        values: patch,
      },
      minRatio: 1 / 1.5,
      note: 'ratio = PATCH p50 / one-click p50: at least 0.67 means within 1.5× of the same write made with a key',
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
