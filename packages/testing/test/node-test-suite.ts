// Run by fixture.test.ts with `node --conditions=@roster/source --import tsx --test`: the fixture under node:test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type RosterFixture, startRoster } from '../src/index.js';

let roster: RosterFixture;
before(async () => {
  roster = await startRoster({ keys: { secretKey: 'sk_node_test' } });
});
after(() => roster.close());

test('creates a contact through the Plunk API', async () => {
  const response = await fetch(`${roster.plunkUrl}/contacts`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_node_test', 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com' }),
  });
  assert.equal(response.status, 201);
});

test('reset() empties the data', async () => {
  await roster.reset();
  assert.equal(await roster.roster.contacts.count(roster.projectId), 0);
});
