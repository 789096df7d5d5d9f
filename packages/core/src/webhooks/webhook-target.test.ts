import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  decideWebhookTarget,
  literalTargetProblem,
  type WebhookResolver,
} from './webhook-target.js';

/** A resolver that answers from a table and never touches DNS or the network. */
function fakeResolver(table: Record<string, string[]>): WebhookResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolve, { asked });
}

const refuse = { allowPrivate: false };

/** Decides `url` (private targets refused) with a resolver that knows no name; `asked` lists its lookups. */
async function decideWithoutNames(url: string) {
  const resolve = fakeResolver({});
  return { decision: await decideWebhookTarget(url, { ...refuse, resolve }), asked: resolve.asked };
}

describe('webhook SSRF guard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:a00:1::', 'private'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
  ])('classifies %s as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'classifies %s as public',
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );

  it.each([
    'http://127.0.0.1/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]:8080/hook',
    'http://10.0.0.1/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'https://[fd00::5]/hook',
    'http://0.0.0.0:3000/',
  ])('refuses the literal target %s without resolving anything', async (url) => {
    const { decision, asked } = await decideWithoutNames(url);
    expect(decision.allowed).toBe(false);
    expect(asked).toEqual([]);
    expect(literalTargetProblem(url, false)).toMatch(/must not point to a/);
  });

  it('refuses a host name that resolves to loopback', async () => {
    const resolve = fakeResolver({ 'loop.example': ['127.0.0.1', '::1'] });
    const decision = await decideWebhookTarget('http://loop.example:4000/hook', { ...refuse, resolve });
    expect(decision).toEqual({
      allowed: false,
      refusal: 'private',
      reason: expect.stringContaining('loop.example resolves to 127.0.0.1, a loopback address'),
    });
    expect(literalTargetProblem('http://localhost:4000/hook', false)).toMatch(/localhost/);
    expect(literalTargetProblem('http://api.localhost/hook', false)).toMatch(/localhost/);
  });

  it('refuses a host name when any one of its addresses is private', async () => {
    const resolve = fakeResolver({ 'mixed.example': ['93.184.216.34', '10.1.2.3'] });
    const decision = await decideWebhookTarget('https://mixed.example/hook', { ...refuse, resolve });
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason).toMatch(/10\.1\.2\.3, a private address/);
  });

  it('refuses a name resolving to a cloud metadata address or an IPv4-mapped loopback', async () => {
    const resolve = fakeResolver({
      'meta.example': ['169.254.169.254'],
      'mapped.example': ['::ffff:127.0.0.1'],
    });
    for (const url of ['http://meta.example/', 'http://mapped.example/']) {
      expect((await decideWebhookTarget(url, { ...refuse, resolve })).allowed).toBe(false);
    }
  });

  it('allows a public host and returns the checked addresses to connect to', async () => {
    const resolve = fakeResolver({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] });
    const decision = await decideWebhookTarget('https://hooks.example.com/in', { ...refuse, resolve });
    expect(decision).toEqual({
      allowed: true,
      hostname: 'hooks.example.com',
      addresses: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
    });
    expect(literalTargetProblem('https://hooks.example.com/in', false)).toBeNull();
  });

  it('allows private targets when told to', async () => {
    const resolve = fakeResolver({ localhost: ['127.0.0.1'] });
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://[::1]:9/']) {
      expect((await decideWebhookTarget(url, { allowPrivate: true, resolve })).allowed).toBe(true);
      expect(literalTargetProblem(url, true)).toBeNull();
    }
  });

  it('refuses a name that does not resolve, naming the error', async () => {
    const decision = await decideWebhookTarget('https://nowhere.invalid/', {
      ...refuse,
      resolve: fakeResolver({}),
    });
    expect(decision).toEqual({
      allowed: false,
      refusal: 'unresolved',
      reason: 'cannot resolve nowhere.invalid (ENOTFOUND)',
    });
  });

  it.each([
    'http://localhost.:4000/hook',
    'http://LOCALHOST./',
    'http://a.localhost./x',
    'http://localhost/',
  ])('refuses %s as localhost, trailing dot or not, without resolving it', async (url) => {
    const { decision, asked } = await decideWithoutNames(url);
    expect(decision).toMatchObject({
      allowed: false,
      refusal: 'private',
      reason: expect.stringMatching(/localhost/),
    });
    expect(asked).toEqual([]);
    expect(literalTargetProblem(url, false)).toMatch(/must not point to localhost/);
  });

  it.each(['http:///h', 'http:h', 'http://./x'])('refuses %s: the URL names no host', async (url) => {
    const resolve = fakeResolver({ h: ['93.184.216.34'] });
    expect(await decideWebhookTarget(url, { allowPrivate: true, resolve })).toEqual({
      allowed: false,
      refusal: 'invalid',
      reason: 'the URL names no host',
    });
    expect(resolve.asked).toEqual([]);
  });
});
