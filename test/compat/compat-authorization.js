// Supabase's Realtime Authorization with the unchanged @supabase/supabase-js (issue 18): private channels decided by the
// row-level security policies on realtime.messages, which the C# test creates as Supabase's docs write them (members of
// an organization read and, when they may write, send and track on the topic org:<organization>).
// Environment as compat.js, plus TOKEN_ALICE and TOKEN_DAVE (acme, writers), TOKEN_BOB (acme, reader only),
// TOKEN_CAROL (globex) and ANON_KEY (the visitor role); PG* for the database, where public.notes has Supabase's documented
// Broadcast-from-Database trigger (realtime.broadcast_changes to org:<organization>). Exits 0 when every check passed.
'use strict';
const { createClient } = require('@supabase/supabase-js');
const WebSocket = require('ws');
const { Client } = require('pg');
const assert = require('node:assert/strict');
const { httpBase: url, waitWithin, subscribe } = require('./harness');

const patienceMs = 20000;
const waitFor = waitWithin(patienceMs);
const auth = { persistSession: false, autoRefreshToken: false };

/** Subscribes; resolves with the error of CHANNEL_ERROR, rejects when the channel is SUBSCRIBED instead. */
function refused(channel) {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'CHANNEL_ERROR') resolve(err);
      else if (status === 'SUBSCRIBED') reject(new Error('a private join that the policies refuse was SUBSCRIBED'));
    });
  });
}

async function run(vsn) {
  const realtime = vsn === 'default' ? { transport: WebSocket } : { transport: WebSocket, vsn };
  const client = (key) => createClient(url, key, { realtime, auth });
  const [alice, bob, dave, carol, visitor] = [process.env.TOKEN_ALICE, process.env.TOKEN_BOB, process.env.TOKEN_DAVE,
    process.env.TOKEN_CAROL, process.env.ANON_KEY].map(client);
  const topic = 'org:acme';
  const config = (key) => ({ config: { private: true, broadcast: { ack: true }, presence: { key } } });

  const aliceGot = [], bobGot = [], aliceStatuses = [];
  let bobSync = 0;
  const aliceChannel = alice.channel(topic, config('alice')).on('broadcast', { event: 'note' }, (m) => aliceGot.push(m.payload.n));
  await new Promise((resolve, reject) => aliceChannel.subscribe((status, err) => {
    aliceStatuses.push(status);
    if (status === 'SUBSCRIBED') resolve();
    else if (status === 'CHANNEL_ERROR' && aliceStatuses.length === 1) reject(new Error(`alice: ${err && err.message}`));
  }));
  const bobRows = [];
  const bobChannel = bob.channel(topic, config('bob'))
    .on('broadcast', { event: 'note' }, (m) => bobGot.push(m.payload.n))
    .on('presence', { event: 'sync' }, () => { bobSync++; });
  for (const event of ['INSERT', 'UPDATE', 'DELETE']) bobChannel.on('broadcast', { event }, (m) => bobRows.push(m));
  await subscribe(bobChannel);
  const daveChannel = dave.channel(topic, config('dave'));
  await subscribe(daveChannel);

  // Another organization and the anonymous key: refused with Supabase's reason.
  for (const [who, outsider] of [['carol', carol], ['visitor', visitor]]) {
    const err = await refused(outsider.channel(topic, config(who)));
    assert.match(String(err && err.message), /Unauthorized: You do not have permissions to read from this Channel topic: org:acme/, who);
    await outsider.removeAllChannels();
  }

  // A writer's broadcast reaches the members; a reader's is dropped without a reply, so its acknowledged send times out.
  assert.equal(await daveChannel.send({ type: 'broadcast', event: 'note', payload: { n: 1 } }), 'ok');
  await waitFor(() => aliceGot.length >= 1 && bobGot.length >= 1, 'the first note');
  assert.equal(await bobChannel.send({ type: 'broadcast', event: 'note', payload: { n: 2 } }, { timeout: 1500 }), 'timed out');
  assert.equal(await daveChannel.send({ type: 'broadcast', event: 'note', payload: { n: 3 } }), 'ok');
  await waitFor(() => aliceGot.length >= 2, 'the third note');
  assert.deepEqual(aliceGot, [1, 3]);
  assert.deepEqual(bobGot, [1, 3]);

  // Presence: the reader may not track; a writer's track reaches the reader's presence state.
  assert.equal(await bobChannel.track({ online: true }), 'error');
  assert.equal(await aliceChannel.track({ online: true }), 'ok');
  await waitFor(() => bobSync > 0 && Object.keys(bobChannel.presenceState()).includes('alice'), "alice's presence");

  // Broadcast from Database to the private channel: the documented trigger (realtime.broadcast_changes) on public.notes
  // sends every change of acme's notes to org:acme; bob reads them, globex's note goes to org:globex only.
  const db = new Client();
  await db.connect();
  const base = vsn === 'default' ? 100 : 0;
  const since = Date.now() - 1000;
  await db.query("INSERT INTO public.notes VALUES ($1, 'acme', 'hello')", [base + 1]);
  await db.query("INSERT INTO public.notes VALUES ($1, 'globex', 'elsewhere')", [base + 2]);
  await db.query("UPDATE public.notes SET body = 'hello again' WHERE id = $1", [base + 1]);
  await db.query('DELETE FROM public.notes WHERE id = $1', [base + 1]);
  await waitFor(() => bobRows.length >= 3, 'the database broadcasts of the note');
  assert.deepEqual(bobRows.map((m) => m.event), ['INSERT', 'UPDATE', 'DELETE']);
  assert.deepEqual(bobRows.map((m) => m.payload.operation), ['INSERT', 'UPDATE', 'DELETE']);
  assert.equal(bobRows[0].payload.record.body, 'hello');
  assert.equal(bobRows[0].payload.old_record, null);
  assert.equal(bobRows[1].payload.old_record.body, 'hello');
  assert.equal(bobRows[1].payload.record.body, 'hello again');
  assert.equal(bobRows[2].payload.record, null);
  assert.equal(bobRows[2].payload.table, 'notes');
  assert.equal(bobRows[2].payload.schema, 'public');
  for (const m of bobRows) {
    assert.equal(typeof m.meta.id, 'string');
    assert.equal(m.meta.replayed, undefined);
  }

  // Replay: a channel joined with config.broadcast.replay gets the newest stored messages since then (limit 2), marked
  // replayed, oldest first; then live ones, none twice.
  const late = client(process.env.TOKEN_BOB);
  const lateRows = [];
  const lateChannel = late.channel(topic, { config: { private: true, broadcast: { replay: { since, limit: 2 } } } });
  for (const event of ['INSERT', 'UPDATE', 'DELETE']) lateChannel.on('broadcast', { event }, (m) => lateRows.push(m));
  await subscribe(lateChannel);
  await waitFor(() => lateRows.length >= 2, 'the replayed messages');
  await db.query("INSERT INTO public.notes VALUES ($1, 'acme', 'live')", [base + 3]);
  await waitFor(() => lateRows.length >= 3, 'the live message after the replay');
  assert.deepEqual(lateRows.map((m) => [m.event, m.meta.replayed === true]), [['UPDATE', true], ['DELETE', true], ['INSERT', false]]);
  assert.deepEqual(lateRows.map((m) => m.meta.id).slice(0, 2), bobRows.slice(1, 3).map((m) => m.meta.id));
  assert.equal(lateRows[2].payload.record.body, 'live');
  await late.removeAllChannels();
  late.realtime.disconnect();
  await db.end();

  // Alice's token becomes another organization's: the server asks the policies again and ends her channel.
  await alice.realtime.setAuth(process.env.TOKEN_CAROL);
  await waitFor(() => aliceStatuses.includes('CLOSED') || aliceChannel.state === 'closed', "the end of alice's channel");

  for (const c of [alice, bob, dave, carol, visitor]) {
    await c.removeAllChannels();
    c.realtime.disconnect();
  }
  console.log(`ok - realtime authorization vsn ${vsn}`);
}

async function main() {
  let failed = false;
  for (const vsn of ['1.0.0', 'default']) {
    try {
      await run(vsn);
    } catch (err) {
      failed = true;
      console.log(`not ok - realtime authorization vsn ${vsn}: ${err && err.stack}`);
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.log(`not ok - ${err.stack || err}`); process.exit(1); });
