// Token refresh on a live connection. The server checks HS256 tokens with JWT_SECRET and no clock skew; every token
// this script makes lives TOKEN_SECONDS. One client refreshes ahead of expiry (auth frames from getToken), the other
// only when the server reports token_expired (delivery pauses, then resumes where it stopped). While the test inserts
// rows over several token lifetimes, both stay on their first connection and their live tables end equal to the table.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ask, connect, run, waitFor, within } from './harness.mjs';

const secret = process.env.JWT_SECRET;
const lifetime = Number(process.env.TOKEN_SECONDS);

function token(role = 'authenticated') {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'user-1', role, iat: now, exp: now + lifetime })}`;
  return `${body}.${crypto.createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function follow(label, options) {
  let asked = 0;
  const made = connect({
    getToken: () => {
      asked++;
      return token();
    },
    ...options,
  });
  const accepted = [];
  made.client.on('auth', (info) => accepted.push(info));
  const statuses = [];
  made.client.on('status', (status) => statuses.push(status));
  const live = made.client.liveTable('public', 'secured');
  return { label, ...made, live, accepted, statuses, asked: () => asked };
}

run(async () => {
  const ahead = follow('ahead of expiry', {});
  const onExpiry = follow('on token_expired', { refreshBeforeExpiryMs: false });
  const state = (table) => `${table.label}: statuses ${table.statuses}, sockets ${table.sockets.opened}, tokens asked ${table.asked()}, `
    + `accepted ${table.accepted.length}, errors [${table.errors.map((e) => `${e.code}: ${e.message}`)}]`;
  await within(Promise.all([ahead.live.ready, onExpiry.live.ready]), () => `both live tables ready (${state(ahead)}; ${state(onExpiry)})`);
  const total = Number(await ask('INSERT'));
  for (const table of [ahead, onExpiry]) {
    await waitFor(() => table.live.rows.size === total, () => `${table.label}: ${total} rows (has ${table.live.rows.size})`);
    assert.deepEqual([...table.live.rows.keys()].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1));
    assert.equal(table.sockets.opened, 1, `${table.label}: one connection, never reopened`);
    assert.deepEqual(table.statuses, ['connecting', 'open'], `${table.label}: the status never left open`);
    assert.ok(table.accepted.length >= 2, `${table.label}: tokens accepted on the live connection (${table.accepted.length})`);
    assert.ok(table.accepted.every((info) => info.role === 'authenticated' && info.expiresAt > 0));
  }
  // Refreshed ahead of expiry, the first client should never see token_expired; a machine so loaded that a refresh comes
  // late may let one through (then the refresh on expiry covers it), but proactive refreshes must be the rule.
  assert.ok(ahead.errors.every((e) => e.code === 'token_expired'), `ahead: ${ahead.errors.map((e) => `${e.code}: ${e.message}`)}`);
  assert.ok(ahead.accepted.length > 2 * ahead.errors.length, `ahead: ${ahead.accepted.length} refreshes, ${ahead.errors.length} expiries`);
  assert.ok(onExpiry.errors.length > 0 && onExpiry.errors.every((e) => e.code === 'token_expired'), `on expiry: token_expired reported (${onExpiry.errors.map((e) => e.code)})`);
  console.log(`ok - token refreshed ahead of expiry without reconnecting (${ahead.accepted.length} auth_ok)`);
  console.log(`ok - token refreshed on token_expired without reconnecting or losing a change (${onExpiry.accepted.length} auth_ok, ${onExpiry.errors.length} token_expired)`);
  ahead.client.close();
  onExpiry.client.close();
});
