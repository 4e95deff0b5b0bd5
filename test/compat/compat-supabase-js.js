// The README's supabase-js snippet against Sluice (issue 7): createClient(url, key, { realtime: { transport: ws } })
// from @supabase/supabase-js, for vsn 1.0.0 and the default 2.0.0: postgres_changes with a filter under row-level
// security, a database broadcast (realtime.send), broadcast over the socket and over HTTP (channel.httpSend → POST /realtime/v1/api/broadcast, which Sluice
// accepts from service-role tokens). Environment as compat-rls.js (public.messages exists), plus SERVICE_KEY: a token with
// the service role. Exits 0 when every check passed.
'use strict';
const { createClient } = require('@supabase/supabase-js');
const WebSocket = require('ws');
const { Client } = require('pg');
const assert = require('node:assert/strict');
const { httpBase: url, waitWithin, subscribe } = require('./harness');

const apikey = process.env.TOKEN_ORG1;
const serviceKey = process.env.SERVICE_KEY;
const patienceMs = 20000;

const waitFor = waitWithin(patienceMs);

async function run(vsn, db, firstId) {
  const realtime = vsn === 'default' ? { transport: WebSocket } : { transport: WebSocket, vsn };
  const auth = { persistSession: false, autoRefreshToken: false };
  const supabase = createClient(url, apikey, { realtime, auth });
  const sender = createClient(url, serviceKey, { realtime, auth });

  const changes = [], cursors = [], fromDatabase = [];
  const todos = supabase
    .channel(`messages-${vsn}`)
    .on('postgres_changes', { event: '*', schema: 'public', table: 'messages', filter: `id=gte.${firstId}` },
        (change) => changes.push(change))
    .on('broadcast', { event: 'cursor' }, (msg) => cursors.push(msg.payload))
    .on('broadcast', { event: 'from-db' }, (msg) => fromDatabase.push(msg));
  await subscribe(todos);

  // Broadcast from Database: realtime.send to the public channel, as Supabase's docs write it.
  await db.query('SELECT realtime.send($1::jsonb, $2, $3, false)', [JSON.stringify({ n: firstId }), 'from-db', `messages-${vsn}`]);
  await waitFor(() => fromDatabase.length >= 1, 'the database broadcast');
  assert.equal(fromDatabase.length, 1);
  const [sent] = fromDatabase;
  assert.equal(sent.type, 'broadcast');
  assert.equal(sent.event, 'from-db');
  assert.equal(sent.payload.n, firstId);
  assert.equal(typeof sent.payload.id, 'string'); // added by realtime.send: the row's id
  assert.equal(sent.meta.id, sent.payload.id);
  assert.equal(typeof sent.meta.offset, 'string'); // Sluice's extension

  // Organization 2's row is not visible to this token.
  await db.query('INSERT INTO public.messages VALUES ($1, 1, $2), ($3, 2, $4)', [firstId, 'mine', firstId + 1, 'theirs']);
  await db.query('UPDATE public.messages SET body = $1 WHERE id = $2', ['edited', firstId]);
  await waitFor(() => changes.length >= 2, 'the filtered changes');
  assert.deepEqual(changes.map((c) => [c.eventType, c.new.id]), [['INSERT', firstId], ['UPDATE', firstId]]);
  assert.equal(changes[1].new.body, 'edited');

  const other = sender.channel(`messages-${vsn}`);
  await subscribe(other);
  assert.equal(await other.send({ type: 'broadcast', event: 'cursor', payload: { x: 1 } }), 'ok');
  assert.deepEqual(await other.httpSend('cursor', { x: 2 }), { success: true });
  await waitFor(() => cursors.length >= 2, `the socket and HTTP broadcasts (got ${JSON.stringify(cursors)})`);
  // Two transports, two paths: `send` resolves once the frame is written (no broadcast ack), so the HTTP message may
  // overtake it. Each must arrive exactly once; their order is not defined.
  assert.deepEqual([...cursors].sort((a, b) => a.x - b.x), [{ x: 1 }, { x: 2 }]);

  await supabase.removeAllChannels();
  await sender.removeAllChannels();
  supabase.realtime.disconnect();
  sender.realtime.disconnect();
  console.log(`ok - supabase-js createClient vsn ${vsn}`);
}

async function main() {
  const db = new Client();
  await db.connect();
  let failed = false;
  try {
    let firstId = 1000;
    for (const vsn of ['1.0.0', 'default']) {
      firstId += 100;
      try {
        await run(vsn, db, firstId);
      } catch (err) {
        failed = true;
        console.log(`not ok - supabase-js createClient vsn ${vsn}: ${err.stack || err}`);
      }
    }
  } finally {
    await db.end();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.log(`not ok - ${err.stack || err}`); process.exit(1); });
