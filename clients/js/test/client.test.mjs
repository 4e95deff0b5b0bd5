// The client's connection and channel state machine against a scripted fake server (test/support/fake-socket.mjs),
// with mocked timers: resume with since, snapshots, resync, close codes, heartbeats, tokens, sharing, rooms,
// overflow and fallback.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '../packages/client/dist/index.js';
import { FakeWebSocket, change, flush } from './support/fake-socket.mjs';

const url = 'ws://sluice.test/realtime';
const channel = 'table:public.items';
let clients = [];

beforeEach(() => {
  FakeWebSocket.reset();
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
});

afterEach(() => {
  for (const client of clients) client.close();
  clients = [];
  mock.timers.reset();
});

function make(options = {}) {
  const errors = [];
  const client = createClient(url, { WebSocket: FakeWebSocket, reconnect: { minMs: 100, maxMs: 1000 }, fallback: false, ...options });
  client.on('error', (error) => errors.push(error));
  clients.push(client);
  return { client, errors };
}

/** Runs timers for `ms` and lets the client's awaits settle. */
async function advance(ms) {
  await flush();
  mock.timers.tick(ms);
  await flush();
}

async function openSocket() {
  await flush();
  const socket = FakeWebSocket.last;
  socket.open();
  return socket;
}

test('a live table starts from a snapshot, applies transactions at tx_end, and resumes with since after a drop', async () => {
  const { client, errors } = make();
  const live = client.liveTable('public', 'items');
  const events = [];
  live.subscribe((event) => events.push(event.reason));
  assert.equal(client.status, 'connecting');
  const socket = await openSocket();
  assert.equal(client.status, 'open');
  assert.deepEqual(socket.frames('subscribe'), [{ type: 'subscribe', channel, snapshot: true }]);

  socket.receive({ type: 'ack', channel });
  socket.receive({ type: 'snapshot', channel, rows: [{ id: 1, v: 0 }], last: false });
  assert.equal(live.synced, false);
  socket.receive({ type: 'snapshot', channel, rows: [{ id: 2, v: 0 }], last: true, offset: 'e1-0000000000000010-00000000' });
  await live.ready;
  assert.deepEqual(live.values, [{ id: 1, v: 0 }, { id: 2, v: 0 }]);
  assert.equal(live.mode, 'streaming');

  const before = live.rows;
  socket.receive(change(channel, 'e1-0000000000000020-00000000', 'UPDATE', { id: 1, v: 1 }, { id: 1, v: 0 }, false));
  assert.equal(live.rows, before, 'half a transaction is never visible');
  socket.receive(change(channel, 'e1-0000000000000020-00000001', 'INSERT', { id: 3, v: 0 }, undefined, true));
  assert.notEqual(live.rows, before);
  assert.deepEqual(before.get(1), { id: 1, v: 0 }, 'an older version never changes');
  assert.deepEqual(live.values, [{ id: 1, v: 1 }, { id: 2, v: 0 }, { id: 3, v: 0 }]);
  assert.equal(live.offset, 'e1-0000000000000020-00000001');

  socket.serverClose(1006);
  assert.equal(client.status, 'reconnecting');
  await advance(100);
  const second = await openSocket();
  assert.deepEqual(second.frames('subscribe'), [{ type: 'subscribe', channel, since: 'e1-0000000000000020-00000001' }]);
  second.receive({ type: 'ack', channel, offset: 'e1-0000000000000020-00000001' });
  // A replayed frame the table already has is dropped, a new one applied.
  second.receive(change(channel, 'e1-0000000000000020-00000001', 'INSERT', { id: 3, v: 0 }));
  second.receive(change(channel, 'e1-0000000000000030-00000000', 'DELETE', undefined, { id: 2, v: 0 }));
  assert.deepEqual(live.values, [{ id: 1, v: 1 }, { id: 3, v: 0 }]);
  assert.deepEqual(events, ['snapshot', 'transaction', 'transaction']);
  assert.deepEqual(errors.map((e) => e.code), []);
});

test('a table channel resumes from its ack offset before any change, and after resync_required takes a snapshot', async () => {
  const { client } = make();
  const table = client.table('public', 'items', { events: ['INSERT', 'UPDATE'], filter: 'v=gt.0' });
  const seen = [];
  const resyncs = [];
  const snapshots = [];
  table.on('*', (c) => seen.push(`${c.type} ${c.offset}`));
  table.onResync((info) => resyncs.push(info));
  table.onSnapshot((rows) => snapshots.push(rows));
  const socket = await openSocket();
  assert.deepEqual(socket.frames('subscribe'), [{ type: 'subscribe', channel, events: ['INSERT', 'UPDATE'], filter: 'v=gt.0' }]);
  socket.receive({ type: 'ack', channel, offset: 'e1-0000000000000005-00000000' });
  await table.subscribed();
  socket.serverClose(1001);
  await advance(100);
  const second = await openSocket();
  assert.deepEqual(second.frames('subscribe')[0].since, 'e1-0000000000000005-00000000');

  second.receive({ type: 'resync_required', channel, error: 'the offset is older than the retention window' });
  assert.deepEqual(resyncs, [{ reason: 'the offset is older than the retention window', lostAfter: 'e1-0000000000000005-00000000' }]);
  assert.deepEqual(second.frames('subscribe')[1], { type: 'subscribe', channel, events: ['INSERT', 'UPDATE'], filter: 'v=gt.0', snapshot: true });
  second.receive({ type: 'ack', channel });
  second.receive({ type: 'snapshot', channel, rows: [{ id: 7, v: 2 }], last: true, offset: 'e1-0000000000000040-00000000' });
  second.receive(change(channel, 'e1-0000000000000041-00000000', 'INSERT', { id: 8, v: 1 }));
  assert.deepEqual(snapshots, [[{ id: 7, v: 2 }]]);
  assert.deepEqual(seen, ['INSERT e1-0000000000000041-00000000']);
  assert.equal(table.lastOffset, 'e1-0000000000000041-00000000');
});

test('close codes: 4008 reconnects at once, 1013 and 4029 back off for real, others with full jitter', async () => {
  const random = mock.method(Math, 'random', () => 0.999);
  try {
    const { client } = make({ reconnect: { minMs: 1000, maxMs: 64_000 } });
    client.connect();
    let socket = await openSocket();
    socket.serverClose(4008, 'slow consumer');
    await advance(0);
    assert.equal(FakeWebSocket.instances.length, 2, '4008: a new socket at once');
    socket = await openSocket();

    socket.serverClose(1013, 'too many connections');
    await advance(3_999);
    assert.equal(FakeWebSocket.instances.length, 2, '1013: at least half of a raised cap (8 s)');
    await advance(5_000);
    assert.equal(FakeWebSocket.instances.length, 3);
    socket = await openSocket();
    socket.serverClose(4029, 'rate limited');
    await advance(7_999);
    assert.equal(FakeWebSocket.instances.length, 3, '4029 right after 1013: the cap grows (16 s)');
    await advance(8_100);
    assert.equal(FakeWebSocket.instances.length, 4);
    socket = await openSocket();

    socket.serverClose(1006);
    await advance(999);
    assert.equal(FakeWebSocket.instances.length, 5, 'a plain loss: full jitter under minMs');
    // A connection that cannot be made backs off exponentially.
    FakeWebSocket.last.serverClose(1006);
    await advance(1_000);
    assert.equal(FakeWebSocket.instances.length, 5);
    await advance(1_000);
    assert.equal(FakeWebSocket.instances.length, 6);
  } finally {
    random.mock.restore();
  }
});

test('heartbeats go out, and a connection on which nothing arrives is replaced', async () => {
  const { client } = make({ heartbeatMs: 1_000, heartbeatTimeoutMs: 4_000 });
  client.connect();
  const socket = await openSocket();
  await advance(1_000);
  assert.equal(socket.frames('heartbeat').length, 1);
  socket.receive({ type: 'heartbeat' });
  // One interval at a time: the mocked clock jumps to the end of a tick() before running the callbacks in it.
  for (let i = 0; i < 4; i++) await advance(1_000);
  assert.equal(socket.frames('heartbeat').length, 5);
  const refs = socket.frames('heartbeat').map((frame) => frame.ref);
  assert.equal(new Set(refs).size, 5, 'every heartbeat carries its own ref, so the server answers it (it never answers an unreferenced one)');
  assert.equal(client.status, 'open', 'a heartbeat arrived 4 s ago');
  await advance(1_000);
  assert.equal(client.status, 'reconnecting', 'nothing for over 4 s');
  assert.equal(socket.closedWith.by, 'client');
});

test('the token: asked before every connection, refreshed on token_expired without reconnecting, refused channels resubscribed', async () => {
  let n = 0;
  const { client, errors } = make({ getToken: async () => `token-${++n}` });
  const table = client.table('public', 'items');
  const socket = await openSocket();
  assert.equal(new URL(socket.url).searchParams.get('token'), 'token-1');
  socket.receive({ type: 'ack', channel, offset: 'e1-0000000000000001-00000000' });

  socket.receive({ type: 'error', code: 'token_expired', error: 'the token expired' });
  await flush();
  assert.deepEqual(socket.frames('auth'), [{ type: 'auth', token: 'token-2' }]);
  socket.receive({ type: 'auth_ok', role: 'authenticated', expires_at: 2_000_000_000 });
  assert.equal(FakeWebSocket.instances.length, 1, 'no reconnect');
  assert.deepEqual(errors.map((e) => e.code), ['token_expired'], 'the server error surfaces with its code');

  // Closed with 4001 (refused at connect): the next connection asks for a token again.
  socket.serverClose(4001, 'token_expired');
  await advance(100);
  const second = await openSocket();
  assert.equal(new URL(second.url).searchParams.get('token'), 'token-3');
  // A subscribe refused because the token expired is sent again once a new token is accepted.
  second.receive({ type: 'error', code: 'token_expired', channel, error: 'expired' });
  await flush();
  assert.equal(second.frames('subscribe').length, 1);
  second.receive({ type: 'auth_ok', role: 'authenticated' });
  assert.deepEqual(second.frames('subscribe')[1], { type: 'subscribe', channel, since: 'e1-0000000000000001-00000000' });
  assert.ok(table.lastOffset);
});

test('a fixed token that expired is reported (token_refresh_failed), and setToken sends a new one on the open connection', async () => {
  const { client, errors } = make({ token: 'fixed' });
  client.connect();
  const socket = await openSocket();
  socket.receive({ type: 'error', code: 'token_expired', error: 'expired' });
  await flush();
  await flush();
  assert.deepEqual(errors.map((e) => e.code), ['token_expired', 'token_refresh_failed']);
  assert.equal(await client.setToken('fresh'), true);
  assert.deepEqual(socket.frames('auth'), [{ type: 'auth', token: 'fresh' }]);
  assert.equal(await client.setToken('fresh'), false, 'the same token is not sent twice');
});

test('a getToken token is refreshed before it expires', async () => {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwt = (exp) => `${encode({ alg: 'HS256' })}.${encode({ exp })}.sig`;
  let n = 0;
  const { client } = make({ getToken: () => jwt(120 * ++n), refreshBeforeExpiryMs: 30_000, heartbeatMs: 200_000 });
  client.connect();
  const socket = await openSocket();
  await advance(89_000);
  assert.equal(socket.frames('auth').length, 0);
  await advance(1_100);
  assert.deepEqual(socket.frames('auth'), [{ type: 'auth', token: jwt(240) }]);
});

test('handles of one channel share one subscription; a StrictMode-like release and re-acquire sends nothing', async () => {
  const { client, errors } = make();
  const a = client.liveTable('public', 'items');
  const socket = await openSocket();
  a.close();
  const b = client.liveTable('public', 'items');
  const c = client.liveTable('public', 'items');
  await advance(10);
  assert.deepEqual(socket.sent.map((f) => f.type), ['subscribe'], 'one subscribe, no unsubscribe');
  socket.receive({ type: 'ack', channel });
  socket.receive({ type: 'snapshot', channel, rows: [{ id: 1 }], last: true, offset: 'e1-0000000000000001-00000000' });
  assert.equal(b.values.length, 1);
  assert.equal(c.rows, b.rows);
  assert.throws(() => client.liveTable('public', 'items', { filter: 'id=gt.5' }), (e) => e.code === 'channel_in_use');
  assert.throws(() => client.table('public', 'items'), (e) => e.code === 'channel_in_use');
  b.close();
  c.close();
  await advance(1);
  assert.deepEqual(socket.sent.map((f) => f.type), ['subscribe', 'unsubscribe']);
  // A new subscription with other settings may take the channel now; frames of the old one before the server's
  // confirmation are ignored.
  const filtered = client.table('public', 'items', { filter: 'id=gt.5' });
  const seen = [];
  filtered.on('*', (change) => seen.push(change.record.id));
  assert.deepEqual(socket.sent[2], { type: 'subscribe', channel, filter: 'id=gt.5' });
  socket.receive(change(channel, 'e1-0000000000000002-00000000', 'INSERT', { id: 2 }));
  socket.receive({ type: 'unsubscribed', channel });
  socket.receive({ type: 'ack', channel, offset: 'e1-0000000000000002-00000000' });
  socket.receive(change(channel, 'e1-0000000000000003-00000000', 'INSERT', { id: 6 }));
  assert.deepEqual(seen, [6]);
  assert.deepEqual(errors, []);
});

test('errors: server codes surface, bad frames are invalid_frame, a throwing listener is reported and delivery goes on', async () => {
  const { client, errors } = make();
  const table = client.table('public', 'items');
  const channelErrors = [];
  table.onError((error) => channelErrors.push(error.code));
  const seen = [];
  table.on('INSERT', (c) => {
    if (c.record.id === 1) throw new Error('listener bug');
    seen.push(c.record.id);
  });
  const socket = await openSocket();
  socket.receive({ type: 'error', code: 'table_not_found', error: 'table public.items does not exist', channel });
  await assert.rejects(table.subscribed(), (e) => e.code === 'table_not_found');
  socket.receive('{not json');
  socket.receive({ type: 'error', code: 'rate_limited', error: 'slow down' });
  socket.serverClose(1006);
  await advance(100);
  const second = await openSocket();
  assert.equal(second.frames('subscribe').length, 1, 'a refused channel is tried again on the next connection');
  second.receive({ type: 'ack', channel });
  second.receive(change(channel, 'e1-0000000000000001-00000000', 'INSERT', { id: 1 }));
  second.receive(change(channel, 'e1-0000000000000002-00000000', 'INSERT', { id: 2 }));
  assert.deepEqual(seen, [2]);
  assert.deepEqual(errors.map((e) => e.code), ['table_not_found', 'invalid_frame', 'rate_limited', 'handler_failed']);
  assert.deepEqual(channelErrors, ['table_not_found']);
  assert.equal(client.status, 'open');
});

test('database_unavailable on subscribe is retried with backoff on the same connection', async () => {
  const { client } = make();
  client.table('public', 'items');
  const socket = await openSocket();
  socket.receive({ type: 'error', code: 'database_unavailable', error: 'try again', channel });
  assert.equal(socket.frames('subscribe').length, 1);
  await advance(100);
  assert.equal(socket.frames('subscribe').length, 2);
});

test('an async iterator that falls behind pauses the channel and resumes it from the last offset it took in', async () => {
  const { client, errors } = make({ bufferSize: 4 });
  const table = client.table('public', 'items');
  const iterator = table.changes();
  const socket = await openSocket();
  socket.receive({ type: 'ack', channel, offset: 'e1-0000000000000000-00000000' });
  const offset = (n) => `e1-${String(n).padStart(16, '0')}-00000000`;
  for (let n = 1; n <= 6; n++) socket.receive(change(channel, offset(n), 'INSERT', { id: n }));
  assert.deepEqual(errors.map((e) => e.code), ['buffer_overflow']);
  assert.equal(table.lastOffset, offset(4));
  const taken = [];
  for (let i = 0; i < 2; i++) taken.push((await iterator.next()).value.record.id);
  assert.deepEqual(socket.frames('subscribe')[1], { type: 'subscribe', channel, since: offset(4) });
  socket.receive({ type: 'ack', channel, offset: offset(4) });
  socket.receive(change(channel, offset(5), 'INSERT', { id: 5 }));
  socket.receive(change(channel, offset(6), 'INSERT', { id: 6 }));
  for (let i = 0; i < 4; i++) taken.push((await iterator.next()).value.record.id);
  assert.deepEqual(taken, [1, 2, 3, 4, 5, 6]);
  table.close();
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
});

test('rooms: broadcast with ack, refusals with codes, lost connections, presence tracked again after a reconnect', async () => {
  const { client } = make();
  const room = client.room('lobby');
  const messages = [];
  const presence = [];
  room.on('chat', (payload, message) => messages.push([payload, message.offset]));
  room.onPresence((change) => presence.push({ keys: [...change.presence.keys()], sync: change.sync }));
  room.track({ name: 'alice' }, { key: 'alice' });
  const socket = await openSocket();
  assert.deepEqual(socket.frames('subscribe'), [{ type: 'subscribe', channel: 'room:lobby' }]);
  const sent = room.broadcast('chat', { text: 'hi' }, { ack: true, self: true });
  socket.receive({ type: 'ack', channel: 'room:lobby', offset: 'r1-0000000000000001' });
  await flush();
  assert.deepEqual(socket.frames('presence'), [{ type: 'presence', channel: 'room:lobby', state: { name: 'alice' }, key: 'alice' }]);
  const broadcast = socket.frames('broadcast')[0];
  assert.deepEqual({ ...broadcast, ref: undefined }, { type: 'broadcast', channel: 'room:lobby', event: 'chat', payload: { text: 'hi' }, self: true, ack: true, ref: undefined });
  socket.receive({ type: 'presence_state', channel: 'room:lobby', presences: [] });
  socket.receive({ type: 'presence_diff', channel: 'room:lobby', joins: [{ key: 'alice', ref: '7', state: { name: 'alice' } }], leaves: [] });
  socket.receive({ type: 'broadcast', channel: 'room:lobby', event: 'chat', payload: { text: 'hi' }, offset: 'r1-0000000000000002' });
  socket.receive({ type: 'broadcast_ack', channel: 'room:lobby', offset: 'r1-0000000000000002', ref: broadcast.ref });
  assert.equal(await sent, 'r1-0000000000000002');
  assert.deepEqual(messages, [[{ text: 'hi' }, 'r1-0000000000000002']]);
  assert.deepEqual(room.presence.get('alice').map((e) => e.ref), ['7']);

  const refused = room.broadcast('chat', 'x'.repeat(10), { ack: true });
  await flush();
  socket.receive({ type: 'error', code: 'payload_too_large', error: 'too large', channel: 'room:lobby', ref: socket.frames('broadcast')[1].ref });
  await assert.rejects(refused, (e) => e.code === 'payload_too_large');

  const lost = room.broadcast('chat', 1, { ack: true });
  await flush();
  socket.serverClose(1006);
  await assert.rejects(lost, (e) => e.code === 'connection_lost');

  await advance(100);
  const second = await openSocket();
  assert.deepEqual(second.frames('subscribe'), [{ type: 'subscribe', channel: 'room:lobby', since: 'r1-0000000000000002' }]);
  second.receive({ type: 'ack', channel: 'room:lobby', offset: 'r1-0000000000000002' });
  assert.equal(second.frames('presence').length, 1, 'tracked again on the new connection');
  second.receive({ type: 'presence_state', channel: 'room:lobby', presences: [{ key: 'alice', ref: '9', state: { name: 'alice' } }] });
  assert.deepEqual(presence.at(-1), { keys: ['alice'], sync: true });

  room.close();
  await advance(1);
  assert.deepEqual(second.sent.slice(-2), [{ type: 'presence', channel: 'room:lobby', state: null }, { type: 'unsubscribe', channel: 'room:lobby' }]);
});

test('fallback: with no WebSocket for afterMs a live table polls over HTTP, and streams again once the socket is back', async () => {
  let rows = [{ id: 1 }];
  const requests = [];
  const fetch = async (target, init) => {
    requests.push({ target, authorization: init.headers.authorization });
    return new Response(JSON.stringify({ schema: 'public', table: 'items', rows }), { status: 200 });
  };
  const { client } = make({ fallback: { afterMs: 1_000, pollMs: 500 }, fetch, token: 'tok', reconnect: { minMs: 10_000, maxMs: 10_000 } });
  const live = client.liveTable('public', 'items', { filter: 'id=gt.0' });
  await flush();
  FakeWebSocket.last.serverClose(1006); // the WebSocket endpoint is unreachable
  await advance(1_000);
  await advance(300);
  await flush();
  assert.equal(requests.length, 1);
  assert.equal(requests[0].target, 'http://sluice.test/api/tables/public.items/rows?filter=id%3Dgt.0');
  assert.equal(requests[0].authorization, 'Bearer tok');
  assert.equal(live.mode, 'fallback');
  assert.deepEqual(live.values, [{ id: 1 }]);
  rows = [{ id: 1 }, { id: 2 }];
  await advance(500);
  await flush();
  assert.deepEqual(live.values, [{ id: 1 }, { id: 2 }]);

  await advance(10_000);
  const socket = await openSocket();
  assert.deepEqual(socket.frames('subscribe'), [{ type: 'subscribe', channel, filter: 'id=gt.0', snapshot: true }]);
  socket.receive({ type: 'ack', channel });
  socket.receive({ type: 'snapshot', channel, rows: [{ id: 2 }], last: true, offset: 'e1-0000000000000009-00000000' });
  assert.equal(live.mode, 'streaming');
  const polls = requests.length;
  await advance(3_000);
  assert.equal(requests.length, polls, 'no polling while streaming');
});

test('a live table reads rows that came reduced whole by key, in a snapshot and in a transaction, before applying them', async () => {
  const table = new Map([[1, { id: 1, body: 'small' }], [2, { id: 2, body: 'B'.repeat(100) }]]);
  const requests = [];
  let failNext = 1; // the first read fails: retried with the backoff, reported
  const fetch = async (target) => {
    requests.push(decodeURIComponent(new URL(target).search));
    if (failNext-- > 0) return new Response('<html>bad gateway</html>', { status: 502 });
    const id = Number(/id=eq\.(\d+)/.exec(new URL(target).searchParams.get('filter'))[1]);
    return new Response(JSON.stringify({ schema: 'public', table: 'items', rows: table.has(id) ? [table.get(id)] : [] }), { status: 200 });
  };
  const { client, errors } = make({ fetch });
  const live = client.liveTable('public', 'items', { filter: 'id=gt.0' });
  const events = [];
  live.subscribe((event) => events.push(event));
  const socket = await openSocket();
  socket.receive({ type: 'ack', channel });
  socket.receive({ type: 'snapshot', channel, rows: [{ id: 1, body: 'small' }, { id: 2 }], last: true, offset: 'e1-0000000000000010-00000000',
    too_large_rows: [{ index: 1, omitted_columns: ['body'] }], key_columns: ['id'] });
  assert.equal(live.synced, false, 'not synced while a reduced row is being read');
  // A transaction arriving meanwhile waits behind the snapshot.
  socket.receive(change(channel, 'e1-0000000000000020-00000000', 'INSERT', { id: 3, body: 'c' }));
  await advance(1_000);
  await live.ready;
  assert.deepEqual(live.values, [{ id: 1, body: 'small' }, { id: 2, body: 'B'.repeat(100) }, { id: 3, body: 'c' }]);
  assert.deepEqual(requests, ['?filter=id=gt.0,id=eq.2', '?filter=id=gt.0,id=eq.2']);
  assert.equal(errors[0].code, 'fallback_failed');
  assert.deepEqual(events.map((event) => event.reason), ['snapshot', 'transaction']);

  // An UPDATE that came reduced: the row is read as it is now and reported with tooLarge.
  table.set(2, { id: 2, body: 'C'.repeat(100) });
  const reduced = change(channel, 'e1-0000000000000030-00000000', 'UPDATE', { id: 2 }, { id: 2 });
  Object.assign(reduced.payload, { too_large: true, key_columns: ['id'], omitted_columns: ['body'] });
  socket.receive(reduced);
  socket.receive(change(channel, 'e1-0000000000000040-00000000', 'DELETE', undefined, { id: 1, body: 'small' }));
  await advance(1);
  await flush();
  assert.deepEqual(live.values, [{ id: 2, body: 'C'.repeat(100) }, { id: 3, body: 'c' }]);
  const update = events.at(-2).changes[0];
  assert.equal(update.tooLarge, true);
  assert.equal(update.keyFilter, 'id=eq.2');
  assert.deepEqual(update.record, { id: 2, body: 'C'.repeat(100) });
  assert.equal(live.offset, 'e1-0000000000000040-00000000');
});

test('HTTP refusals carry the server code', async () => {
  const fetch = async () => new Response(JSON.stringify({ error: 'table public.nope does not exist', code: 'table_not_found' }), { status: 404 });
  const { client } = make({ fetch });
  await assert.rejects(client.getRows('public', 'nope'), (e) => e.code === 'table_not_found' && e.message.includes('does not exist'));
  const proxy = async () => new Response('<html>bad gateway</html>', { status: 502 });
  const other = make({ fetch: proxy }).client;
  await assert.rejects(other.getRows('public', 'nope'), (e) => e.code === 'fallback_failed' && e.message.includes('502'));
});

test('disconnect keeps channels for the next connect; close ends everything and leaves no socket or timer', async () => {
  const { client } = make();
  const statuses = [];
  client.on('status', (status) => statuses.push(status));
  const live = client.liveTable('public', 'items');
  const socket = await openSocket();
  socket.receive({ type: 'ack', channel });
  socket.receive({ type: 'snapshot', channel, rows: [], last: true, offset: 'e1-0000000000000001-00000000' });
  client.disconnect();
  assert.equal(socket.closedWith.by, 'client');
  assert.equal(client.status, 'idle');
  client.connect();
  const second = await openSocket();
  assert.deepEqual(second.frames('subscribe'), [{ type: 'subscribe', channel, since: 'e1-0000000000000001-00000000' }]);
  client.close();
  assert.equal(FakeWebSocket.live.length, 0);
  assert.deepEqual(statuses, ['connecting', 'open', 'idle', 'connecting', 'open', 'closed']);
  assert.throws(() => client.liveTable('public', 'items'), (e) => e.code === 'closed');
  assert.equal(live.synced, true, 'the last rows stay readable');
});

test('without a WebSocket implementation the client says how to pass one', () => {
  const saved = globalThis.WebSocket;
  try {
    delete globalThis.WebSocket;
    assert.throws(() => createClient(url), (e) => e.code === 'websocket_unavailable' && /ws/.test(e.message));
  } finally {
    if (saved !== undefined) globalThis.WebSocket = saved;
  }
});

test('a message sent without self is not delivered to its sender when a resume replays it', async () => {
  const { client, errors } = make();
  const room = client.room('lobby');
  const seen = [];
  room.onMessage((message) => seen.push(message.payload.n));
  const socket = await openSocket();
  socket.receive({ type: 'ack', channel: 'room:lobby', offset: 'r1-0000000000000001' });
  assert.equal(await room.broadcast('chat', { n: 1 }), undefined, 'resolves once sent');
  const frame = socket.frames('broadcast')[0];
  assert.equal(frame.self, false);
  assert.equal(frame.ack, true, 'the client asks for the offset itself');
  socket.receive({ type: 'broadcast_ack', channel: 'room:lobby', offset: 'r1-0000000000000002', ref: frame.ref });
  socket.serverClose(1006);
  await advance(100);
  const second = await openSocket();
  assert.equal(second.frames('subscribe')[0].since, 'r1-0000000000000001');
  second.receive({ type: 'ack', channel: 'room:lobby', offset: 'r1-0000000000000001' });
  second.receive({ type: 'broadcast', channel: 'room:lobby', event: 'chat', payload: { n: 1 }, offset: 'r1-0000000000000002' });
  second.receive({ type: 'broadcast', channel: 'room:lobby', event: 'chat', payload: { n: 2 }, offset: 'r1-0000000000000003' });
  assert.deepEqual(seen, [2]);
  assert.equal(room.lastOffset, 'r1-0000000000000003');
  assert.deepEqual(errors, []);
});
