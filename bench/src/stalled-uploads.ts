/**
 * `pnpm tsx bench/src/stalled-uploads.ts [--connections 50]`: the memory a client without a key can
 * pin. Starts `roster serve`, opens N connections that each announce a 7 MB JSON body to
 * `POST /v1/contacts/import` without an Authorization header, send 6.5 MB of it and stall. Prints the
 * server's RSS before and after (from /proc, Linux only) and what the connections were answered.
 * Not part of `pnpm test` or `pnpm bench`: a measurement of issue #13's attack.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../packages/server/bin/roster.js', import.meta.url));
const args = process.argv.slice(2);
const connections = Number(args[args.indexOf('--connections') + 1] ?? 50) || 50;
const ANNOUNCED = 7_000_000;
const SENT = 6_500_000;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', ':memory:'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
const url = await new Promise<URL>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const match = /listening on (http:\/\/\S+)/.exec(out);
    if (match) resolve(new URL(match[1]!));
  });
  child.stderr.on('data', (d) => (out += d));
  child.on('close', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
});

const settle = () => new Promise((r) => setTimeout(r, 1500));
await fetch(`${url.origin}/health`);
await settle();
const before = rssMiB(child.pid!);

const chunk = Buffer.alloc(64 * 1024, 'a');
const answers: Promise<string>[] = [];
for (let i = 0; i < connections; i++) {
  answers.push(
    new Promise((resolve) => {
      const socket = connect(Number(url.port), url.hostname);
      let answer = '';
      socket.on('data', (d) => {
        answer += d;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(answer.split('\r\n')[0] || '(closed without an answer)'));
      socket.on('connect', async () => {
        socket.write(
          `POST /v1/contacts/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${ANNOUNCED}\r\n\r\n{"file":"`,
        );
        let sent = 0;
        while (sent < SENT && !socket.destroyed) {
          if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
          sent += chunk.length;
        }
        // Then stall: keep the socket open until the server closes it or the measurement ends.
        setTimeout(() => socket.destroy(), 8000);
      });
    }),
  );
}
await new Promise((r) => setTimeout(r, 5000));
const during = rssMiB(child.pid!);
const firstLines = await Promise.all(answers);
const counts = new Map<string, number>();
for (const line of firstLines) counts.set(line, (counts.get(line) ?? 0) + 1);
await settle();
const after = rssMiB(child.pid!);
child.kill('SIGTERM');

console.log(`connections: ${connections}, each ${SENT} of ${ANNOUNCED} bytes, no key`);
console.log(
  `server RSS: ${before.toFixed(1)} MiB before, ${during.toFixed(1)} MiB while stalled (+${(during - before).toFixed(1)}), ${after.toFixed(1)} MiB after (+${(after - before).toFixed(1)})`,
);
for (const [line, n] of counts) console.log(`  ${n} × ${line}`);
