// Sluice's gapless resume for postgres_changes with the unchanged @supabase/realtime-js client (issue 7).
// The app keeps a reference to its binding object and sets `since` from the offsets it sees (through the documented
// `decode` option); realtime-js sends that same object again on every rejoin. The server is killed (SIGKILL), rows are
// written while it is down, and it is started again: each client (vsn 1.0.0 and 2.0.0) rejoins with `since` and receives
// exactly the changes it missed, once and in order, then live ones. Environment as compat.js; talks to the test over
// stdio like compat-restart.js ("KILL" → "KILLED", "START" → "STARTED"). Exits 0 when every check passed.
'use strict';
const { RealtimeClient } = require('@supabase/realtime-js');
const WebSocket = require('ws');
const { Client } = require('pg');
const assert = require('node:assert/strict');
const { socketBase: base, waitWithin, ask, closeStdin } = require('./harness');

const apikey = process.env.SLUICE_APIKEY || 'anon-key';
const patienceMs = 60000;

const waitFor = waitWithin(patienceMs);

// The recipe from the README: keep the binding object, update its `since` after each message is handled.
function resumable(vsn, name, table) {
  const state = { vsn, ids: [], statuses: [], resyncs: 0, subscribed: 0 };
  const binding = { event: '*', schema: 'public', table };
  const track = (msg) => {
    if (msg.topic !== `realtime:${name}`) return;
    if (msg.event === 'postgres_changes' && msg.payload.data && msg.payload.data.offset) binding.since = msg.payload.data.offset;
    else if (msg.event === 'phx_reply' && msg.payload.response && msg.payload.response.postgres_changes
      && msg.payload.response.postgres_changes[0] && msg.payload.response.postgres_changes[0].offset) binding.since = msg.payload.response.postgres_changes[0].offset;
    else if (msg.event === 'system' && msg.payload.code === 'resync_required') { binding.since = msg.payload.offset; state.resyncs++; }
  };
  let client;
  const decode = vsn === '1.0.0'
    ? (raw, done) => { const msg = JSON.parse(raw); done(msg); track(msg); }
    : (raw, done) => client.serializer.decode(raw, (msg) => { done(msg); track(msg); });
  client = new RealtimeClient(`${base}/realtime/v1`, { params: { apikey }, transport: WebSocket, vsn, decode });
  client.channel(name)
    .on('postgres_changes', binding, (p) => { if (p.eventType === 'INSERT') state.ids.push(p.new.id); })
    .subscribe((status) => {
      state.statuses.push(status);
      if (status === 'SUBSCRIBED') state.subscribed++;
    });
  state.client = client;
  state.binding = binding;
  return state;
}

async function main() {
  const db = new Client();
  await db.connect();
  await db.query('CREATE TABLE public.resume_items (id bigint PRIMARY KEY, title text)');
  await db.query(`SELECT enable_realtime('public', 'resume_items')`);
  const clients = ['1.0.0', '2.0.0'].map((vsn) => resumable(vsn, `resume-${vsn}`, 'resume_items'));
  let id = 0;
  const insert = () => db.query('INSERT INTO public.resume_items VALUES ($1, $2)', [++id, 'x']);
  let failed = false;
  try {
    await waitFor(() => clients.every((c) => c.subscribed === 1 && c.binding.since), 'SUBSCRIBED with a start offset');
    for (let i = 0; i < 3; i++) await insert();
    await waitFor(() => clients.every((c) => c.ids.includes(3)), 'the first changes');

    await ask('KILL', 'KILLED');
    // Written while the server is down: a plain rejoin would never see these.
    for (let i = 0; i < 3; i++) await insert();
    await db.query(`INSERT INTO public.resume_items VALUES (${++id}, 'y'), (${++id}, 'z')`);
    await ask('START', 'STARTED');

    await waitFor(() => clients.every((c) => c.subscribed === 2), 'SUBSCRIBED after the restart');
    await insert();
    const last = id;
    await waitFor(() => clients.every((c) => c.ids.includes(last)), 'the changes after the restart');
    for (const c of clients) {
      assert.deepEqual(c.ids, Array.from({ length: last }, (_, i) => i + 1), `vsn ${c.vsn}: every insert once, in order`);
      assert.equal(c.resyncs, 0, `vsn ${c.vsn}: no resync needed`);
      console.log(`ok - gapless resume with since vsn ${c.vsn}`);
    }
  } catch (err) {
    failed = true;
    console.log(`not ok - gapless resume: ${err.stack || err}`);
    for (const c of clients) console.log(`# vsn ${c.vsn} statuses ${c.statuses.join(',')} ids ${c.ids.join(',')} since ${c.binding.since}`);
  } finally {
    for (const c of clients) {
      await c.client.removeAllChannels();
      c.client.disconnect();
    }
    await db.end();
    closeStdin();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.log(`not ok - ${err.stack || err}`); process.exit(1); });
