// The doc test: every shell block marked `<!-- doc-test -->` (an HTML comment on the line before the fence,
// invisible on GitHub) in README.md, CONTRIBUTING.md and docs/*.md runs with bash against a real `roster serve`
// (the CLI from its sources, a temp SQLite file, an ephemeral port), so the walk-throughs cannot drift from the
// code. Every relative link and `#anchor` of those pages must resolve to a file and a heading.
//
// Each block runs with `set -euo pipefail`, from a directory inside the clone (so `corepack pnpm -s roster …`
// works as a reader of the docs would type it), with a PATH that has no `pnpm` on it (only corepack), and these
// variables set: ROSTER (the server's URL), KEY (a secret key of the default project), ROSTER_DB (the server's
// database, so `corepack pnpm -s roster keys …` in a block works on it). `curl` fails on an HTTP error status
// (--fail-with-body) and records every answer; where a page shows the expected answer in a comment after a curl
// command (`# {...}`, `# → 201 {...}`, `# 202 {...}`), the real answer must have the same JSON keys
// (recursively through objects; arrays and values are not compared), or those of an alternative the page shows
// on a `#   or 202 {...}` line.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../packages/server/test/cli-helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MARKER = '<!-- doc-test -->';

/** The documentation pages: the front page, the contributor guide and one page per topic in docs/. */
export const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

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
    if (!/^```(sh|bash)\s*$/.test(fence)) throw new Error(`line ${i + 2}: ${MARKER} must precede a sh fence`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith('```'));
    if (end < 0) throw new Error(`line ${i + 2}: unclosed fence`);
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

/** GitHub's anchor of a heading: lowercased, punctuation dropped, spaces to hyphens, `-1`, `-2` for repeats. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    if (inFence) continue;
    for (const m of line.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The relative links of a page (outside code) that name no file, or an anchor that is not a heading there. */
export function brokenLinks(page: string, markdown: string, readPage: (path: string) => string | undefined) {
  const broken: string[] = [];
  let inFence = false;
  for (const [n, line] of markdown.split('\n').entries()) {
    if (line.startsWith('```')) inFence = !inFence;
    if (inFence) continue;
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<a href="([^"]+)"/g)) {
      const target = (m[1] ?? m[2])!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? page : relative('.', join(dirname(page), decodeURIComponent(path)));
      const content = path === '' ? markdown : readPage(file);
      if (content === undefined) broken.push(`${page}:${n + 1}: ${target} (no file ${file})`);
      else if (anchor !== undefined && !headingAnchors(content).has(anchor))
        broken.push(`${page}:${n + 1}: ${target} (no heading #${anchor} in ${file})`);
    }
  }
  return broken;
}

const readTarget = (path: string): string | undefined => {
  const full = resolve(ROOT, path);
  if (!full.startsWith(ROOT) || !existsSync(full)) return undefined;
  return full.endsWith('.md') ? readFileSync(full, 'utf8') : '';
};

/**
 * PATH with no `pnpm` on it: the blocks must work with corepack alone. A directory that holds a `pnpm`
 * (e.g. /usr/bin after `corepack enable`, as CI does) is replaced by a mirror of its other entries
 * (symlinks), so bash, curl, node and corepack stay reachable.
 */
const pathWithoutPnpm = (process.env.PATH ?? '')
  .split(delimiter)
  .filter(Boolean)
  .map((dir) => {
    if (!existsSync(join(dir, 'pnpm')) && !existsSync(join(dir, 'pnpx'))) return dir;
    const mirror = mkdtempSync(join(tmpdir(), 'roster-doctest-path-'));
    for (const entry of readdirSync(dir)) {
      if (/^(pnpm|pnpx)(\.|$)/.test(entry)) continue;
      try {
        symlinkSync(join(dir, entry), join(mirror, entry));
      } catch {
        // an entry that cannot be linked is left out
      }
    }
    return mirror;
  })
  .join(delimiter);

const run = (script: string, cwd: string, env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd,
      env: { ...process.env, PATH: pathWithoutPnpm, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });

/** Runs before each block: strict mode, and curl that fails on an error status and records answers. */
const prelude = `set -euo pipefail
curl() {
  local n; n=$(( $(cat "$DOCTEST_OUT/count") + 1 )); echo "$n" > "$DOCTEST_OUT/count"
  command curl --fail-with-body "$@" | tee "$DOCTEST_OUT/$n"
}
`;

describe('doc pages', () => {
  it('are the front page, CONTRIBUTING.md and one page per topic', () => {
    expect(PAGES.slice(0, 2)).toEqual(['README.md', 'CONTRIBUTING.md']);
    expect(PAGES).toContain('docs/README.md');
    expect(PAGES.length).toBeGreaterThanOrEqual(10);
  });

  it('keep the README a front page (at most 300 lines)', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(300);
  });

  it("link only to files and headings that exist (the packages' READMEs too)", () => {
    const packageReadmes = readdirSync(join(ROOT, 'packages'))
      .map((p) => `packages/${p}/README.md`)
      .filter((p) => existsSync(join(ROOT, p)));
    const pages = [...PAGES, ...packageReadmes, 'bench/RESULTS-HISTORY.md'];
    expect(pages.flatMap((page) => brokenLinks(page, read(page), readTarget))).toEqual([]);
  });

  it('the link check finds a missing file, a missing heading and accepts a real one', () => {
    const page = [
      '# Top',
      '## A `b` (c/d)',
      'see [x](#a-b-cd), [y](#nope), [z](nope.md), [w](docs/README.md#x)',
    ];
    expect(brokenLinks('README.md', page.join('\n'), readTarget)).toEqual([
      'README.md:3: #nope (no heading #nope in README.md)',
      'README.md:3: nope.md (no file nope.md)',
      'README.md:3: docs/README.md#x (no heading #x in docs/README.md)',
    ]);
  });

  it('run no bare `roster …` command in a shell block (a clone has no roster on the PATH)', () => {
    const bare: string[] = [];
    for (const page of PAGES) {
      for (const m of read(page).matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```/gm)) {
        for (const line of m[1]!.split('\n')) {
          const command = line.replace(/#.*$/, '');
          if (/(^|[;&|(]|\$\()\s*(\w+=[^\s$(]*\s+)*roster\s/.test(command)) bare.push(`${page}: ${line}`);
        }
      }
    }
    expect(bare).toEqual([]);
  });

  it('run pnpm only through corepack in shell blocks (a fresh machine has no pnpm on the PATH)', () => {
    const bare: string[] = [];
    for (const page of PAGES) {
      for (const m of read(page).matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```/gm)) {
        for (const line of m[1]!.split('\n')) {
          const command = line.replace(/#.*$/, '');
          if (/(^|[;&|(]|\$\()\s*(\w+=[^\s$(]*\s+)*pnpm\s/.test(command)) bare.push(`${page}: ${line}`);
        }
      }
    }
    expect(bare).toEqual([]);
  });
});

describe('doc test', () => {
  const blocks = PAGES.flatMap((page) => markedBlocks(read(page)).map((block) => ({ page, ...block })));
  let dir: string;
  let work: string;
  let server: ServeProcess;
  let key: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(ROOT, '.doctest-'));
    work = join(dir, 'work');
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the marked blocks of several pages and the answers they show', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(new Set(blocks.map((b) => b.page)).size).toBeGreaterThanOrEqual(4);
    const shown = blocks.flatMap((b) => [...expectedAnswers(b.code).values()].flat());
    expect(shown.length).toBeGreaterThanOrEqual(10);
    for (const text of shown) expect(shownKeys(text).length, text).toBeGreaterThan(0);
  });

  it('runs the blocks with no pnpm on the PATH, only corepack', () => {
    const probe = spawnSync('bash', ['-c', 'command -v pnpm || echo none; command -v corepack'], {
      env: { ...process.env, PATH: pathWithoutPnpm },
      encoding: 'utf8',
    });
    expect(probe.stdout.split('\n')[0]).toBe('none');
    expect(probe.stdout).toMatch(/corepack/);
  });

  for (const [index, block] of blocks.entries()) {
    const where = `${block.page} line ${block.line}`;
    it(`${where} (${block.heading}) runs and answers as shown`, async () => {
      const cwd = join(work, `block${index}`);
      const out = join(cwd, '.answers');
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'count'), '0\n');
      const result = await run(prelude + block.code, cwd, {
        ROSTER: server.url,
        KEY: key,
        ROSTER_DB: join(dir, 'roster.db'),
        DOCTEST_OUT: out,
      });
      expect(result.code, `block at ${where} failed:\n${result.out}`).toBe(0);
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
          throw new Error(`curl call ${call} of the block at ${where} answered non-JSON: ${body}`);
        }
        // The answer must have the keys of one of the answers the page shows for this call.
        const keys = actualKeys(parsed);
        const closest = shown.map(shownKeys).find((k) => JSON.stringify(k) === JSON.stringify(keys));
        expect(keys, `curl call ${call} of the block at ${where}: ${body}`).toEqual(
          closest ?? shownKeys(shown[0]!),
        );
      }
    }, 120_000); // a block may build and run the CLI (corepack pnpm -s roster …)
  }
});
