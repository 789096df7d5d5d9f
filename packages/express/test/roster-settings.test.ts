import { describeEachDialect } from '@roster/test-harness';
import { expect, it } from 'vitest';
import { callerOf, ISO } from './http-helpers.js';
import { useRosterApi } from './roster-helpers.js';

/**
 * The project's settings under /roster: a GET answers them; a write answers them as they now are
 * and is audited with the names of the fields it sent, never their values (a secret, a password).
 */
describeEachDialect('/roster settings', (dialect) => {
  const s = useRosterApi(dialect, [
    'roster_audit_log',
    'roster_consent_settings',
    'roster_suppression_settings',
  ]);
  const call = callerOf(s);

  const audited = async () =>
    (await s.roster.audit.list(s.projectId, { limit: 100 })).data.reverse().map((e) => [e.action, e.detail]);

  it('GET and PUT /inbound-settings: answers what is configured, audits the fields by name', async () => {
    expect(await call('GET', '/inbound-settings')).toMatchObject({
      status: 200,
      body: { resend: false, postmarkUser: null },
    });
    const put = await call('PUT', '/inbound-settings', {
      postmark: { username: 'pm', password: 'pw-0123456789' },
    });
    expect(put).toMatchObject({ status: 200, body: { resend: false, postmarkUser: 'pm' } });
    expect((await call('GET', '/inbound-settings')).body).toEqual(put.body);
    expect(await audited()).toEqual([['inbound_settings.updated', { fields: ['postmark'] }]]);
    expect(JSON.stringify(await s.roster.audit.list(s.projectId, { limit: 100 }))).not.toContain('pw-');
  });

  it('GET and PATCH /consent: answers the page settings, audits the fields by name', async () => {
    const before = await call('GET', '/consent');
    expect(before).toMatchObject({ status: 200, body: { projectId: s.projectId, displayName: null } });
    const patched = await call('PATCH', '/consent', { displayName: 'Acme News' });
    expect(patched).toMatchObject({
      status: 200,
      body: { projectId: s.projectId, displayName: 'Acme News', logoUrl: null, updatedAt: ISO },
    });
    expect((await call('GET', '/consent')).body).toEqual(patched.body);
    expect(await audited()).toEqual([['consent.settings_updated', { fields: ['displayName'] }]]);
  });

  it('refuses a write whose body is not an object, and audits nothing', async () => {
    for (const [method, path] of [
      ['PUT', '/inbound-settings'],
      ['PATCH', '/consent'],
    ] as const) {
      const res = await call(method, path, [1]);
      expect(res.status).toBe(400);
    }
    expect(await audited()).toEqual([]);
  });
});
