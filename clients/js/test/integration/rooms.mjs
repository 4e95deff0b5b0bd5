// Rooms between two clients: presence of both, broadcast with ack and self, and a resume with since. Bob connects
// through a TCP proxy the test controls: while it refuses (CUT), Alice publishes, and once it lets Bob back (RESTORE)
// Bob receives exactly the messages he missed, in order, and tracks himself again.
import assert from 'node:assert/strict';
import { ask, connect, run, waitFor } from './harness.mjs';

const keys = (room) => [...room.presence.keys()].sort().join(',');

run(async () => {
  const alice = connect();
  const bob = connect({}, process.env.SLUICE_WS_PROXIED);
  const a = alice.client.room('lobby');
  const b = bob.client.room('lobby');
  const got = { alice: [], bob: [] };
  a.on('chat', (payload, message) => got.alice.push({ ...payload, offset: message.offset }));
  b.on('chat', (payload, message) => got.bob.push({ ...payload, offset: message.offset }));
  const presenceSyncs = [];
  b.onPresence((change) => {
    if (change.sync) presenceSyncs.push(keys(b));
  });
  a.track({ name: 'Alice', status: 'online' }, { key: 'alice' });
  b.track({ name: 'Bob', status: 'online' }, { key: 'bob' });
  await Promise.all([a.subscribed(), b.subscribed()]);
  await waitFor(() => keys(a) === 'alice,bob' && keys(b) === 'alice,bob', () => `both present (alice sees ${keys(a)}, bob sees ${keys(b)})`);
  assert.deepEqual(a.presence.get('bob')[0].state, { name: 'Bob', status: 'online' });
  console.log('ok - presence of both clients');

  const offset = await a.broadcast('chat', { text: 'hello', n: 1 }, { ack: true, self: true });
  // Acknowledged before the cut below, so Bob knows the offset of his own message and a replay does not bring it back.
  await b.broadcast('chat', { text: 'hi alice', n: 2 }, { ack: true });
  await waitFor(() => got.alice.length === 2 && got.bob.length === 1, () => `the messages (alice has ${got.alice.length}, bob ${got.bob.length})`);
  assert.equal(got.alice[0].offset, offset, 'the ack names the message offset');
  assert.deepEqual(got.alice.map((m) => m.n), [1, 2], 'self delivery and order');
  assert.deepEqual(got.bob.map((m) => m.n), [1], 'no self delivery without self');
  await assert.rejects(a.broadcast('chat', { big: 'x'.repeat(70_000) }, { ack: true }), (error) => error.code === 'payload_too_large');
  console.log('ok - broadcast with ack and self, refusals with their code');

  await ask('CUT', 'CUT_DONE');
  await waitFor(() => bob.client.status !== 'open', 'bob cut off');
  await waitFor(() => keys(a) === 'alice', () => `bob's presence left (alice sees ${keys(a)})`);
  for (let n = 3; n <= 5; n++) await a.broadcast('chat', { text: 'while you were away', n }, { ack: true });
  await ask('RESTORE', 'RESTORED');
  await waitFor(() => got.bob.length === 4, () => `bob caught up (${got.bob.map((m) => m.n)})`);
  assert.deepEqual(got.bob.map((m) => m.n), [1, 3, 4, 5], 'exactly the missed messages, once, in order (not his own, sent without self)');
  await waitFor(() => keys(a) === 'alice,bob', 'bob tracked again after the reconnect');
  assert.ok(presenceSyncs.length >= 2, 'bob got a fresh presence_state after resubscribing');
  assert.ok(bob.sockets.opened >= 2);
  console.log('ok - a room resumes with since after a cut: nothing missed, nothing repeated, presence tracked again');

  b.close();
  await waitFor(() => keys(a) === 'alice', 'bob left');
  assert.deepEqual(alice.errors.map((e) => e.code), []);
  assert.deepEqual(bob.errors.filter((e) => e.code !== 'connect_failed').map((e) => e.code), []);
  console.log('ok - leaving the room ends the presence');
  alice.client.close();
  bob.client.close();
});
