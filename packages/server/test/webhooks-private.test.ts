import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli, type ServeProcess, startServe } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

/** What every refusal of a private target must tell the user: the CLI's flag and env variable. */
const HINT =
  'to allow them, start roster with --allow-private-webhook-targets or ROSTER_WEBHOOKS_ALLOW_PRIVATE=1';

let dir: string;
let db: string;
const servers: ServeProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'roster-private-webhooks-'));
  db = join(dir, 'roster.db');
});
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const add = (url: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []) =>
  runCli(['webhooks', 'add', '--db', db, '--url', url, '--events', 'contact.created', ...extra], env);

async function postWebhook(server: ServeProcess, url: string): Promise<Response> {
  const key = /API key \(shown once, keep it\): (\S+)/.exec(server.output())![1]!;
  return fetch(`${server.url}/roster/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, eventTypes: ['contact.created'] }),
  });
}

describe('private webhook targets (CLI)', () => {
  it('refuses a loopback target in webhooks add and webhooks test, naming the flag and the env variable', async () => {
    const refused = await add('http://127.0.0.1:9/hook');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `roster: url: must not point to a loopback address (private targets are refused; ${HINT})\n`,
    );

    // The env variable alone allows it, for add and test alike (no flag on either command).
    const added = await add('http://127.0.0.1:9/hook', { ROSTER_WEBHOOKS_ALLOW_PRIVATE: '1' }, ['--json']);
    expect(added.stderr).toBe('');
    const { id } = JSON.parse(added.stdout) as { id: string };

    const blocked = await runCli(['webhooks', 'test', id, '--db', db]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain(
      `(refused: 127.0.0.1, a loopback address: webhooks to private networks are refused (${HINT}))`,
    );
  });

  it('answers the HTTP create of a private target with a 400 naming the flag and the env variable', async () => {
    const server = await startServe(['--db', db], { ROSTER_WEBHOOKS_ALLOW_PRIVATE: '' });
    servers.push(server);
    const res = await postWebhook(server, 'http://localhost:9/hook');
    expect(res.status).toBe(400);
    const message = `must not point to localhost (private targets are refused; ${HINT})`;
    expect(await res.json()).toEqual({
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message: `url: ${message}`,
        statusCode: 400,
        requestId: expect.any(String),
        errors: [{ field: 'url', message, code: 'private_target' }],
      },
      timestamp: expect.any(String),
    });
  });

  it('allows private targets in serve from the config file key allowPrivateWebhookTargets', async () => {
    const config = join(dir, 'roster.config.json');
    writeFileSync(config, JSON.stringify({ db, allowPrivateWebhookTargets: true }));
    const server = await startServe(['--config', config], { ROSTER_WEBHOOKS_ALLOW_PRIVATE: '' });
    servers.push(server);
    expect((await postWebhook(server, 'http://localhost:9/hook')).status).toBe(201);
  });
});
