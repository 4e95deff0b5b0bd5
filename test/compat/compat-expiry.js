// Token expiry with the unchanged @supabase/realtime-js client (issue 7).
// Environment as compat-rls.js, plus TOKEN_SHORT: an organization-1 token that expires a few seconds after the script
// starts. Each client (vsn 1.0.0 and 2.0.0) joins under TOKEN_SHORT and receives a change; when the token expires the
// server ends the channel by itself (system "Token has expired N seconds ago", phx_close): status CLOSED, the channel is
// removed from the client and not rejoined, and no change reaches it afterwards. Exits 0 when every check passed.
'use strict';
const { RealtimeClient } = require('@supabase/realtime-js');
const WebSocket = require('ws');
const { Client } = require('pg');
const assert = require('node:assert/strict');
const { socketBase: base, waitWithin } = require('./harness');

const org1 = process.env.TOKEN_ORG1;
const short = process.env.TOKEN_SHORT;
const patienceMs = 30000;

const waitFor = waitWithin(patienceMs);

async function listen(vsn, token) {
  const client = new RealtimeClient(`${base}/realtime/v1`, { params: { apikey: org1 }, transport: WebSocket, vsn });
  const state = { vsn, client, ids: [], statuses: [], system: [] };
  await client.setAuth(token);
  state.channel = client.channel(`expiry-${vsn}`)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'messages' }, (p) => state.ids.push(p.new.id))
    .on('system', {}, (p) => state.system.push(p))
    .subscribe((status) => state.statuses.push(status));
  return state;
}

async function main() {
  const db = new Client();
  await db.connect();
  const insert = (id) => db.query('INSERT INTO public.messages VALUES ($1, 1, $2)', [id, 'hi']);
  const watcher = await listen('2.0.0', org1);
  const expiring = await Promise.all(['1.0.0', '2.0.0'].map((vsn) => listen(vsn, short)));
  let failed = false;
  try {
    await waitFor(() => [watcher, ...expiring].every((c) => c.statuses.includes('SUBSCRIBED')), 'SUBSCRIBED');
    await insert(1);
    await waitFor(() => [watcher, ...expiring].every((c) => c.ids.includes(1)), 'the first change');

    // Nobody sends anything special: the server ends the channels when the token expires.
    await waitFor(() => expiring.every((c) => c.statuses.includes('CLOSED')), 'CLOSED after the token expired');
    for (const c of expiring) {
      const error = c.system.find((p) => p.extension === 'system');
      assert.ok(error, `vsn ${c.vsn}: a system message before the close`);
      assert.equal(error.status, 'error');
      assert.match(error.message, /^Token has expired \d+ seconds ago$/);
      assert.equal(c.channel.state, 'closed', `vsn ${c.vsn}: the channel is closed`);
      assert.equal(c.client.getChannels().length, 0, `vsn ${c.vsn}: the client dropped the channel (no rejoin)`);
    }

    // No change reaches an expired client: the watcher gets the next one, they do not.
    await insert(2);
    await waitFor(() => watcher.ids.includes(2), 'the watcher\'s second change');
    for (const c of expiring) {
      assert.deepEqual(c.ids, [1], `vsn ${c.vsn}: no change after the expiry`);
      assert.deepEqual(c.statuses, ['SUBSCRIBED', 'CLOSED'], `vsn ${c.vsn}: closed once, never rejoined`);
      console.log(`ok - token expiry closes the channel vsn ${c.vsn}`);
    }
  } catch (err) {
    failed = true;
    console.log(`not ok - token expiry: ${err.stack || err}`);
    for (const c of expiring) console.log(`# vsn ${c.vsn} statuses ${c.statuses.join(',')} ids ${c.ids.join(',')} system ${JSON.stringify(c.system)}`);
  } finally {
    for (const c of [watcher, ...expiring]) {
      await c.client.removeAllChannels();
      c.client.disconnect();
    }
    await db.end();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.log(`not ok - ${err.stack || err}`); process.exit(1); });
