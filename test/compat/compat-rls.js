// Row-level security and token refresh with the unchanged @supabase/realtime-js client (issue 7).
// Environment as compat.js, plus TOKEN_ORG1 / TOKEN_ORG2: JWTs of organizations 1 and 2. The table public.messages
// (id, organization_id, body) with its policy exists already. Exits 0 when every check passed.
'use strict';
const { RealtimeClient } = require('@supabase/realtime-js');
const WebSocket = require('ws');
const { Client } = require('pg');
const assert = require('node:assert/strict');
const { socketBase: base, waitWithin } = require('./harness');

const org1 = process.env.TOKEN_ORG1;
const org2 = process.env.TOKEN_ORG2;
const patienceMs = 20000;

const waitFor = waitWithin(patienceMs);

async function run(vsn, db, firstId) {
  const options = { params: { apikey: org1 }, transport: WebSocket, vsn };
  const one = new RealtimeClient(`${base}/realtime/v1`, options);
  const two = new RealtimeClient(`${base}/realtime/v1`, options);
  await two.setAuth(org2);
  const seenOne = [], seenTwo = [];
  let subscribedTwo = 0;
  const listen = (client, seen, onStatus) => client.channel(`messages-${vsn}`)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'messages' }, (p) => seen.push(p.new.id))
    .subscribe(onStatus);
  let subscribedOne = false;
  listen(one, seenOne, (s) => { if (s === 'SUBSCRIBED') subscribedOne = true; });
  listen(two, seenTwo, (s) => { if (s === 'SUBSCRIBED') subscribedTwo++; });
  await waitFor(() => subscribedOne && subscribedTwo === 1, 'SUBSCRIBED');

  const insert = (id, org) => db.query('INSERT INTO public.messages VALUES ($1, $2, $3)', [id, org, 'hi']);
  await insert(firstId, 1);
  await insert(firstId + 1, 2);
  await insert(firstId + 2, 1);
  await waitFor(() => seenOne.length >= 2 && seenTwo.length >= 1, 'RLS-filtered inserts');
  assert.deepEqual(seenOne, [firstId, firstId + 2]);
  assert.deepEqual(seenTwo, [firstId + 1]);

  // Client two switches to organization 1's token: the server ends its subscription, the client rejoins with the
  // new token by itself and from then on sees organization 1's rows.
  await two.setAuth(org1);
  await waitFor(() => subscribedTwo === 2, 'the rejoin after the token refresh');
  await insert(firstId + 3, 2);
  await insert(firstId + 4, 1);
  await waitFor(() => seenTwo.includes(firstId + 4), 'a change under the refreshed token');
  assert.deepEqual(seenTwo, [firstId + 1, firstId + 4]);
  assert.deepEqual(seenOne, [firstId, firstId + 2, firstId + 4]);

  await one.removeAllChannels();
  await two.removeAllChannels();
  one.disconnect();
  two.disconnect();
  console.log(`ok - row-level security and token refresh vsn ${vsn}`);
}

async function main() {
  const db = new Client();
  await db.connect();
  let failed = false;
  try {
    let firstId = 1;
    for (const vsn of ['1.0.0', '2.0.0']) {
      try {
        await run(vsn, db, firstId);
      } catch (err) {
        failed = true;
        console.log(`not ok - row-level security and token refresh vsn ${vsn}: ${err.stack || err}`);
      }
      firstId += 100;
    }
  } finally {
    await db.end();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => { console.log(`not ok - ${err.stack || err}`); process.exit(1); });
