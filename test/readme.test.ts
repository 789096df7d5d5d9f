// The README doc test: every shell block of README.md marked `<!-- doc-test -->` (an HTML comment on the line
// before the fence, invisible on GitHub) runs with bash against a real `roster serve` (the CLI from its sources,
// a temp SQLite file, an ephemeral port), so the README's curl walk-throughs cannot drift from the code.
//
// Each block runs with `set -euo pipefail` and these variables set: ROSTER (the server's URL), KEY (a secret
// key of the default project), ROSTER_DB (the server's database, so `pnpm roster …` in a block works on it).
// `curl` fails on an HTTP error status (--fail-with-body) and records every answer; where the README shows the
// expected answer in a comment after a curl command (`# {...}`, `# → 201 {...}`, `# 202 {...}`), the real
// answer must have the same JSON keys (recursively through objects; arrays and values are not compared), or
// those of an alternative the README shows on a `#   or 202 {...}` line.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROSTER_CLI_ARGS, type ServeProcess, startServe } from '../packages/server/test/cli-helpers.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const MARKER = '<!-- doc-test -->';

interface Block {
  line: number;
  heading: string;
  code: string;
}

/** The marked blocks: the fence after a line that is exactly the marker. */
export function markedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let heading = '';
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) inFence = !inFence;
    if (!inFence && /^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    if (line.trim() !== MARKER) continue;
    const fence = lines[i + 1] ?? '';
    if (!/^```(sh|bash)\s*$/.test(fence))
      throw new Error(`README line ${i + 2}: ${MARKER} must precede a sh fence`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith('```'));
    if (end < 0) throw new Error(`README line ${i + 2}: unclosed fence`);
    blocks.push({ line: i + 2, heading, code: lines.slice(i + 2, end).join('\n') });
    i = end;
    inFence = false;
  }
  return blocks;
}

/**
 * The expected answers of a block, by curl call number (1-based, in the order the calls appear). A curl
 * command may span lines ending in `\`; the comment lines right after it that start with a JSON object
 * (optionally after `→`, a status, or both) and their `#   ` continuation lines are its expected answer.
 */
export function expectedAnswers(code: string): Map<number, string[]> {
  const lines = code.split('\n');
  const answers = new Map<number, string[]>();
  let calls = 0;
  let lastCallEnded = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (!trimmed.startsWith('#')) {
      const count = (line.replace(/#.*$/, '').match(/(^|[\s(|;])curl\s/g) ?? []).length;
      calls += count;
      let j = i;
      while (lines[j]!.trimEnd().endsWith('\\')) j++;
      lastCallEnded = count > 0 ? j : -1;
      i = j;
      continue;
    }
    if (lastCallEnded !== i - 1) continue;
    const m = /^#\s*(?:→\s*)?(?:\d{3}\s+)?(\{.*)$/.exec(trimmed);
    if (!m) continue;
    const shown = [m[1]!];
    while (i + 1 < lines.length && /^#\s{2,}\S/.test(lines[i + 1]!.trim())) {
      const next = lines[++i]!.trim();
      // `#   or 202 {...}`: another answer the call may give (e.g. a job still running).
      const alternative = /^#\s*or\s+(?:\d{3}\s+)?(\{.*)$/.exec(next);
      if (alternative) shown.push(alternative[1]!);
      else shown[shown.length - 1] += next.replace(/^#\s*/, '');
    }
    answers.set(calls, shown);
  }
  return answers;
}

/** The key paths of pseudo-JSON as the README writes it (`...`, `…`, `<id>` allowed as values). */
export function shownKeys(text: string): string[] {
  const keys: string[] = [];
  const stack: Array<{ kind: '{' | '['; prefix: string }> = [];
  let pendingKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const str = text.slice(i + 1, j);
      i = j;
      const top = stack.at(-1);
      if (top?.kind === '{' && /^\s*:/.test(text.slice(j + 1)) && !stack.some((s) => s.kind === '[')) {
        pendingKey = top.prefix + str;
        keys.push(pendingKey);
      }
      continue;
    }
    if (c === '{' || c === '[') {
      stack.push({ kind: c, prefix: c === '{' && pendingKey ? `${pendingKey}.` : '' });
      pendingKey = undefined;
    } else if (c === '}' || c === ']') {
      stack.pop();
      if (stack.length === 0) break;
    } else if (c === ',') pendingKey = undefined;
  }
  return keys.sort();
}

/** The key paths of a real JSON answer, through objects only (not into arrays). */
export function actualKeys(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value)
    .flatMap(([k, v]) => [prefix + k, ...actualKeys(v, `${prefix + k}.`)])
    .sort();
}

const run = (script: string, cwd: string, env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });

// The CLI as the blocks call it (`pnpm roster …`), runnable from any directory: tsx by absolute path.
const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs');
const cli = [process.execPath, ...ROSTER_CLI_ARGS.map((a) => (a === 'tsx' ? pathToFileURL(tsx).href : a))]
  .map((a) => `'${a}'`)
  .join(' ');

/** Runs before each block: strict mode, curl that fails on an error status and records answers, the CLI. */
const prelude = `set -euo pipefail
curl() {
  local n; n=$(( $(cat "$DOCTEST_OUT/count") + 1 )); echo "$n" > "$DOCTEST_OUT/count"
  command curl --fail-with-body "$@" | tee "$DOCTEST_OUT/$n"
}
roster() { ${cli} "$@"; }
pnpm() { if [ "$1" = -s ]; then shift; fi; if [ "$1" = roster ]; then shift; roster "$@"; else command pnpm "$@"; fi; }
`;

describe('README doc test', () => {
  const blocks = markedBlocks(readFileSync(README, 'utf8'));
  let dir: string;
  let server: ServeProcess;
  let key: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-readme-'));
    key = 'sk_readme_doctest_key_0123456789';
    server = await startServe(['--db', join(dir, 'roster.db'), '--api-key', key]);
    // The walk-throughs page through an existing list: a few contacts to page through.
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${server.url}/contacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email: `reader${i}@example.com` }),
      });
      expect(res.status).toBe(201);
    }
  }, 180_000); // CLI start-up from the sources is slow on a loaded 2-core machine

  afterAll(async () => {
    server?.child.kill();
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the marked blocks and the answers they show', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const shown = blocks.flatMap((b) => [...expectedAnswers(b.code).values()].flat());
    expect(shown.length).toBeGreaterThanOrEqual(10);
    for (const text of shown) expect(shownKeys(text).length, text).toBeGreaterThan(0);
  });

  it('runs no bare `roster …` command in a shell block (a clone has no roster on the PATH)', () => {
    const markdown = readFileSync(README, 'utf8');
    const bare: string[] = [];
    for (const m of markdown.matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```/gm)) {
      for (const line of m[1]!.split('\n')) {
        const command = line.replace(/#.*$/, '');
        if (/(^|[;&|(]|\$\()\s*(\w+=\S*\s+)*roster\s/.test(command)) bare.push(line);
      }
    }
    expect(bare).toEqual([]);
  });

  for (const [index, block] of markedBlocks(readFileSync(README, 'utf8')).entries()) {
    it(`README line ${block.line} (${block.heading}) runs and answers as shown`, async () => {
      const cwd = join(dir, `block${index}`);
      const out = join(cwd, '.answers');
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'count'), '0\n');
      const result = await run(prelude + block.code, cwd, {
        ROSTER: server.url,
        KEY: key,
        ROSTER_DB: join(dir, 'roster.db'),
        DOCTEST_OUT: out,
      });
      expect(result.code, `block at README line ${block.line} failed:\n${result.out}`).toBe(0);
      const recorded = readdirSync(out).filter((f) => f !== 'count').length;
      for (const [call, shown] of expectedAnswers(block.code)) {
        expect(call, `answer shown for curl call ${call}, but only ${recorded} ran`).toBeLessThanOrEqual(
          recorded,
        );
        const body = readFileSync(join(out, String(call)), 'utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new Error(
            `curl call ${call} of the block at README line ${block.line} answered non-JSON: ${body}`,
          );
        }
        // The answer must have the keys of one of the answers the README shows for this call.
        const keys = actualKeys(parsed);
        const closest = shown.map(shownKeys).find((k) => JSON.stringify(k) === JSON.stringify(keys));
        expect(keys, `curl call ${call} of the block at README line ${block.line}: ${body}`).toEqual(
          closest ?? shownKeys(shown[0]!),
        );
      }
    }, 120_000); // a block may start the CLI (pnpm roster …) from the sources
  }
});
