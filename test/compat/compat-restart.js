// Server restart with the unchanged @supabase/realtime-js client (issue 7): the server is stopped (SIGTERM) and later
// killed (SIGKILL) and started again on the same port against the same database; the client reconnects with its
// 1/2/5/10 s backoff, rejoins by itself, reaches SUBSCRIBED again and receives the changes made after that.
// Environment as compat.js. Talks to the test that runs it over stdio: it prints "RESTART <round>" and waits for a line
// "RESTARTED" on stdin before it goes on. Exits 0 when every check passed.
'use strict';
const { RealtimeClient } = require('@supabase/realtime-js');
const WebSocket = require('ws');
const { Client } = require('pg');
const assert = require('node:assert/strict');
const { socketBase: base, waitWithin, nextLine, closeStdin } = require('./harness');

const apikey = process.env.SLUICE_APIKEY || 'anon-key';
const patienceMs = 60000;

const waitFor = waitWithin(patienceMs);

async function main() {
  const db = new Client();
  await db.connect();
  await db.query('CREATE TABLE public.restart_items (id bigint PRIMARY KEY, title text)');
  await db.query(`SELECT enable_realtime('public', 'restart_items')`);

  const clients = ['1.0.0', '2.0.0'].map((vsn) => {
    const client = new RealtimeClient(`${base}/realtime/v1`, { params: { apikey }, transport: WebSocket, vsn });
    const state = { vsn, client, ids: [], statuses: [], subscribed: 0 };
    state.channel = client.channel(`restart-${vsn}`)
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'restart_items' }, (p) => state.ids.push(p.new.id))
      .subscribe((status) => {
        state.statuses.push(status);
        if (status === 'SUBSCRIBED') state.subscribed++;
      });
    return state;
  });

  let failed = false;
  try {
    await waitFor(() => clients.every((c) => c.subscribed === 1), 'SUBSCRIBED');
    let id = 0;
    const insert = () => db.query('INSERT INTO public.restart_items VALUES ($1, $2)', [++id, 'x']);
    await insert();
    await waitFor(() => clients.every((c) => c.ids.includes(id)), 'the first insert');

    for (const round of [1, 2]) {
      console.log(`RESTART ${round}`);
      assert.equal(await nextLine(), 'RESTARTED');
      // The client notices the outage, reconnects with its backoff and rejoins: SUBSCRIBED once more.
      await waitFor(() => clients.every((c) => c.subscribed === round + 1), `SUBSCRIBED after restart ${round}`);
      const before = id;
      await insert();
      await insert();
      await waitFor(() => clients.every((c) => c.ids.includes(id)), `inserts after restart ${round}`);
      for (const c of clients) {
        assert.deepEqual(c.ids.filter((x) => x > before), [before + 1, before + 2], `vsn ${c.vsn} after restart ${round}`);
        assert.ok(c.statuses.includes('CHANNEL_ERROR'), `vsn ${c.vsn} reported the outage`);
      }
    }
    for (const c of clients) console.log(`ok - restart and rejoin vsn ${c.vsn}`);
  } catch (err) {
    failed = true;
    console.log(`not ok - restart and rejoin: ${err.stack || err}`);
    for (const c of clients) console.log(`# vsn ${c.vsn} statuses ${c.statuses.join(',')} ids ${c.ids.join(',')}`);
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
