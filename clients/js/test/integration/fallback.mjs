// Fallback: the WebSocket endpoint (through a TCP proxy the test controls) is unreachable while HTTP works. The live
// table polls GET /api/tables/public.fallback/rows, follows an insert that way, and once the proxy lets WebSockets
// through (OPEN) subscribes with a snapshot and streams again.
import assert from 'node:assert/strict';
import { ask, connect, httpBase, run, waitFor } from './harness.mjs';

run(async () => {
  let reads = 0;
  const counting = (...args) => {
    reads++;
    return fetch(...args);
  };
  const { client, errors } = connect({ httpUrl: httpBase, fetch: counting, fallback: { afterMs: 500, pollMs: 300 } }, process.env.SLUICE_WS_PROXIED);
  const live = client.liveTable('public', 'fallback');
  await waitFor(() => live.mode === 'fallback' && live.rows.size === 3, () => `fallback rows (mode ${live.mode}, ${live.rows.size} rows, status ${client.status})`);
  assert.equal(client.status === 'open', false);
  assert.deepEqual([...live.rows.keys()].sort(), [1, 2, 3]);
  console.log('ok - no WebSocket: the rows come over HTTP');

  await ask('INSERT 4', 'INSERTED');
  await waitFor(() => live.rows.has(4), 'row 4 by polling');
  assert.equal(live.mode, 'fallback');
  const polled = reads;
  assert.ok(polled >= 2, `polled ${polled} times`);
  console.log(`ok - polling follows an insert (${polled} reads)`);

  await ask('OPEN', 'OPENED');
  await waitFor(() => live.mode === 'streaming', () => `streaming again (mode ${live.mode}, status ${client.status})`);
  const afterStreaming = reads;
  await ask('INSERT 5', 'INSERTED');
  await waitFor(() => live.rows.has(5), 'row 5 streamed');
  assert.equal(live.mode, 'streaming');
  assert.ok(reads <= afterStreaming + 1, 'no more polling once streaming');
  assert.deepEqual([...live.rows.keys()].sort(), [1, 2, 3, 4, 5]);
  assert.ok(errors.every((e) => e.code === 'connect_failed'), `only connect failures reported: ${errors.map((e) => e.code)}`);
  assert.ok(errors.length > 0, 'the failed connections were reported');
  console.log('ok - back to streaming once the WebSocket is reachable');
  client.close();
});
