import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './webhook-target.js';
import { MAX_RESPONSE_EXCERPT_BYTES } from './webhook-types.js';

/** What one HTTP attempt gave. */
export interface AttemptOutcome {
  /** 2xx: the receiver took it. */
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

// Keep-alive connections per process (idle sockets do not keep the process alive).
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

/** A `lookup` that answers with the addresses already checked, never asking DNS again. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = typeof options === 'object' && options.family ? options.family : 0;
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    const list = usable.length > 0 ? usable : addresses;
    if (typeof options === 'object' && options.all) (callback as any)(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  };
}

/** The start of a body as text: at most `MAX_RESPONSE_EXCERPT_BYTES` of UTF-8, cut on a character boundary, no NUL. */
export function responseExcerpt(bytes: Buffer): string | null {
  if (bytes.length === 0) return null;
  let end = Math.min(bytes.length, MAX_RESPONSE_EXCERPT_BYTES);
  // Step back over an incomplete multi-byte sequence at the cut.
  if (end < bytes.length) while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  const text = bytes.subarray(0, end).toString('utf8').replace(/\0/g, '\uFFFD');
  // A replacement character (3 bytes) may have grown the text past the limit.
  return Buffer.byteLength(text) <= MAX_RESPONSE_EXCERPT_BYTES
    ? text
    : text.slice(0, MAX_RESPONSE_EXCERPT_BYTES / 3);
}

function describeError(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  const { code, message } = error as NodeJS.ErrnoException;
  const text = String(message ?? error).replace(/\0/g, '');
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

/**
 * POSTs `body` to `url`, connecting only to `addresses` (checked by the SSRF guard), with a
 * deadline of `timeoutMs` for the whole exchange. Redirects are not followed: a 3xx is a failed
 * attempt. Never throws: network problems come back as `error`.
 */
export function postWebhook(request: {
  url: string;
  addresses: ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}): Promise<AttemptOutcome> {
  const started = performance.now();
  const latency = () => Math.max(0, Math.round(performance.now() - started));
  return new Promise((resolve) => {
    const url = new URL(request.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    let timedOut = false;
    const finish = (outcome: Omit<AttemptOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, latencyMs: latency() });
    };
    const req = send(url, {
      method: 'POST',
      agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
      lookup: pinnedLookup(request.addresses),
      headers: {
        ...request.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(request.body)),
        'user-agent': 'roster-webhooks/1',
      },
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('timeout'));
    }, request.timeoutMs);
    req.on('error', (error) =>
      finish({
        ok: false,
        statusCode: null,
        responseExcerpt: null,
        error: describeError(error, request.timeoutMs, timedOut),
      }),
    );
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const excerpt = responseExcerpt(Buffer.concat(chunks));
        const ok = status >= 200 && status < 300;
        finish({
          ok,
          statusCode: status,
          responseExcerpt: excerpt,
          error: ok
            ? null
            : status >= 300 && status < 400
              ? `redirect to ${res.headers.location ?? '(no location)'} not followed`
              : `HTTP ${status}`,
        });
      };
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_RESPONSE_EXCERPT_BYTES + 4) chunks.push(chunk);
        size += chunk.length;
        // Enough for the excerpt: stop reading (the connection is not reused).
        if (size > 64 * 1024) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', () => done());
      res.on('close', done);
    });
    req.end(request.body);
  });
}
