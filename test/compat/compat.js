// Drives the unchanged @supabase/realtime-js client against a running Sluice server (issue 7).
// Environment: SLUICE_URL (http://host:port), PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE for the same database,
// SLUICE_APIKEY (optional, default "anon-key"). Exits 0 when every check passed, 1 otherwise.
'use strict';
const { RealtimeClient } = require('@supabase/realtime-js');
const WebSocket = require('ws');
const { Client } = require('pg');
const assert = require('node:assert/strict');
const { socketBase: base, waitWithin, subscribe } = require('./harness');

const apikey = process.env.SLUICE_APIKEY || 'anon-key';
const patienceMs = 20000;

const waitFor = waitWithin(patienceMs);

async function postgresChanges(vsn, db) {
  const table = `compat_${vsn.replace(/\./g, '_')}`;
  await db.query(`CREATE TABLE public.${table} (id bigint PRIMARY KEY, title text, done boolean, tags text[], meta jsonb)`);
  await db.query(`ALTER TABLE public.${table} REPLICA IDENTITY FULL`);
  await db.query(`SELECT enable_realtime('public', $1)`, [table]);

  const client = new RealtimeClient(`${base}/realtime/v1`, { params: { apikey }, transport: WebSocket, vsn });
  const all = [], inserts = [], filtered = [];
  const channel = client.channel(`todos-${vsn}`)
    .on('postgres_changes', { event: '*', schema: 'public', table }, (p) => all.push(p))
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table }, (p) => inserts.push(p))
    .on('postgres_changes', { event: 'UPDATE', schema: 'public', table, filter: 'id=eq.1' }, (p) => filtered.push(p));
  await subscribe(channel);

  // SUBSCRIBED means live: a change right after it is delivered.
  await db.query(`INSERT INTO public.${table} VALUES (1, 'a', false, '{x,y}', '{"k":1}')`);
  await db.query(`INSERT INTO public.${table} VALUES (2, 'b', true, NULL, NULL)`);
  await db.query(`UPDATE public.${table} SET done = true WHERE id = 1`);
  await db.query(`UPDATE public.${table} SET title = 'bb' WHERE id = 2`);
  await db.query(`DELETE FROM public.${table} WHERE id = 2`);
  await waitFor(() => all.length >= 5 && inserts.length >= 2 && filtered.length >= 1, `5 changes on ${vsn}`);

  assert.deepEqual(all.map((p) => p.eventType), ['INSERT', 'INSERT', 'UPDATE', 'UPDATE', 'DELETE']);
  assert.deepEqual(all[0].new, { id: 1, title: 'a', done: false, tags: ['x', 'y'], meta: { k: 1 } });
  assert.deepEqual(all[0].old, {});
  assert.equal(all[0].schema, 'public');
  assert.equal(all[0].table, table);
  assert.match(all[0].commit_timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(all[2].new.done, true);
  assert.equal(all[2].old.done, false);
  assert.deepEqual(all[4].new, {});
  assert.equal(all[4].old.id, 2);
  assert.deepEqual(inserts.map((p) => p.new.id), [1, 2]);
  assert.equal(filtered.length, 1);
  assert.equal(filtered[0].new.id, 1);

  await client.removeChannel(channel);
  client.disconnect();
  console.log(`ok - postgres_changes vsn ${vsn}`);
}

async function broadcastAndPresence(vsn) {
  const options = { params: { apikey }, transport: WebSocket, vsn };
  const alice = new RealtimeClient(`${base}/realtime/v1`, options);
  const bob = new RealtimeClient(`${base}/realtime/v1`, options);
  const room = `room-${vsn}`;
  const aliceSeen = [], bobSeen = [], bobJoins = [], bobLeaves = [];
  let bobSyncs = 0;
  const a = alice.channel(room, { config: { broadcast: { self: true, ack: true }, presence: { key: 'alice' } } })
    .on('broadcast', { event: 'cursor' }, (m) => aliceSeen.push(m));
  const b = bob.channel(room, { config: { presence: { key: 'bob' } } })
    .on('broadcast', { event: '*' }, (m) => bobSeen.push(m))
    .on('presence', { event: 'sync' }, () => { bobSyncs++; })
    .on('presence', { event: 'join' }, (e) => bobJoins.push(e))
    .on('presence', { event: 'leave' }, (e) => bobLeaves.push(e));
  await subscribe(a);
  await subscribe(b);
  await waitFor(() => bobSyncs >= 1, 'the first presence sync');

  // ack: the server's reply resolves 'ok'; self: alice gets her own message.
  assert.equal(await a.send({ type: 'broadcast', event: 'cursor', payload: { x: 1, y: 2 } }), 'ok');
  await waitFor(() => aliceSeen.length >= 1 && bobSeen.length >= 1, `broadcast on ${vsn}`);
  assert.deepEqual(bobSeen[0].payload, { x: 1, y: 2 });
  assert.equal(bobSeen[0].event, 'cursor');
  assert.deepEqual(aliceSeen[0].payload, { x: 1, y: 2 });

  // Bob has no self: he does not get his own message, alice does not listen to 'other'.
  assert.equal(await b.send({ type: 'broadcast', event: 'other', payload: { z: 3 } }), 'ok');
  assert.equal(await a.send({ type: 'broadcast', event: 'cursor', payload: { n: 2 } }), 'ok');
  await waitFor(() => bobSeen.length >= 2 && aliceSeen.length >= 2, 'second broadcast');
  assert.deepEqual(bobSeen.map((m) => m.event), ['cursor', 'cursor']);
  assert.deepEqual(aliceSeen.map((m) => m.payload), [{ x: 1, y: 2 }, { n: 2 }]);

  assert.equal(await a.track({ online_at: 't1' }), 'ok');
  await waitFor(() => bobJoins.some((e) => e.key === 'alice'), 'presence join');
  assert.equal(bobJoins.find((e) => e.key === 'alice').newPresences[0].online_at, 't1');
  assert.equal(b.presenceState().alice[0].online_at, 't1');
  assert.equal(await a.untrack(), 'ok');
  await waitFor(() => bobLeaves.some((e) => e.key === 'alice'), 'presence leave');
  assert.equal(b.presenceState().alice, undefined);

  await alice.removeAllChannels();
  await bob.removeAllChannels();
  alice.disconnect();
  bob.disconnect();
  console.log(`ok - broadcast and presence vsn ${vsn}`);
}

async function main() {
  const db = new Client();
  await db.connect();
  let failed = false;
  try {
    for (const vsn of ['1.0.0', '2.0.0']) {
      try {
        await postgresChanges(vsn, db);
      } catch (err) {
        failed = true;
        console.log(`not ok - postgres_changes vsn ${vsn}: ${err.stack || err}`);
      }
      try {
        await broadcastAndPresence(vsn);
      } catch (err) {
        failed = true;
        console.log(`not ok - broadcast and presence vsn ${vsn}: ${err.stack || err}`);
      }
    }
  } finally {
    await db.end();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.log(`not ok - ${err.stack || err}`); process.exit(1); });
