import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createServerLogger, prettyLine } from '../src/observability.js';

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => {
    text += chunk;
  });
  return { stream, text: () => text };
}

describe('the logger of roster serve', () => {
  it('writes one pino JSON object per line, at and above its level only', async () => {
    const out = collect();
    const logger = createServerLogger({ format: 'json', level: 'info', destination: out.stream });
    logger.debug({ route: '/health' }, 'request');
    logger.info({ requestId: 'r-1', route: '/contacts/:id', status: 200 }, 'request');
    logger.warn({ job: { type: 'import' } }, 'job failed, will retry');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        pid: process.pid,
        requestId: 'r-1',
        route: '/contacts/:id',
        status: 200,
        msg: 'request',
      },
      {
        level: 40,
        time: expect.any(Number),
        pid: process.pid,
        job: { type: 'import' },
        msg: 'job failed, will retry',
      },
    ]);
  });

  it('writes pretty lines: time, level, message, then the request fields first', async () => {
    const out = collect();
    const logger = createServerLogger({ format: 'pretty', level: 'debug', destination: out.stream });
    logger.info(
      {
        dialect: 'plunk',
        status: 404,
        route: '/contacts/:id',
        method: 'GET',
        requestId: 'r-2',
        durationMs: 1.5,
      },
      'request',
    );
    logger.debug({ job: { id: 'j', type: 'import' } }, 'job completed');
    await new Promise((resolve) => setImmediate(resolve));
    const [request, job] = out.text().trim().split('\n');
    expect(request).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}request requestId=r-2 method=GET route=\/contacts\/:id status=404 durationMs=1\.5 dialect=plunk$/,
    );
    expect(job).toMatch(/^\d\d:\d\d:\d\d\.\d{3} DEBUG job completed job=\{"id":"j","type":"import"\}$/);
  });

  it('passes a line that is not JSON through as it is', () => {
    expect(prettyLine('not json')).toBe('not json\n');
  });
});
