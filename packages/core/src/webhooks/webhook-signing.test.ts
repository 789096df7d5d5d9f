import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, webhookHeaders } from './webhook-signing.js';

describe('webhook signing (Standard Webhooks)', () => {
  it('makes whsec_ secrets of 24 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('signs so that the standardwebhooks package verifies the body', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({
      type: 'contact.created',
      timestamp: '2026-11-28T00:00:00.000Z',
      data: { é: '✓' },
    });
    const headers = webhookHeaders([secret], 'evt_1', Math.floor(Date.now() / 1000), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(/No matching signature/);
  });

  it('matches the example of the Standard Webhooks specification', () => {
    // The example from the specification's README (secret, id, timestamp, payload and signature).
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('puts one signature per secret in webhook-signature, each verifiable alone', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const body = '{"type":"webhook.test"}';
    const headers = webhookHeaders([current, previous], 'evt_2', Math.floor(Date.now() / 1000), body);
    expect(String(headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual({ type: 'webhook.test' });
    expect(new Webhook(previous).verify(body, headers)).toEqual({ type: 'webhook.test' });
  });
});
