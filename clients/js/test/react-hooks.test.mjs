// @sluice/react in a DOM (happy-dom) with a scripted fake server: StrictMode does not subscribe twice, unmounting
// leaves no socket, hooks render what the server sends. `npm test` runs this file with React 19 and again with
// React 18 (test/support/react18.mjs).
import './support/dom.mjs';
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import React, { StrictMode, act, createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from '@sluice/client';
import { SluiceProvider, useConnectionStatus, useLiveTable, usePresence, useRealtime, useRoom } from '@sluice/react';
import { FakeWebSocket, change } from './support/fake-socket.mjs';

const url = 'ws://sluice.test/realtime';
const channel = 'table:public.products';
const options = { WebSocket: FakeWebSocket, fallback: false, reconnect: { minMs: 5, maxMs: 10 } };
let root;
let container;
/** Clients a test made itself; closed after it, even when it failed. */
const owned = [];
const own = (client) => {
  owned.push(client);
  return client;
};

beforeEach(() => {
  FakeWebSocket.reset();
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(async () => {
  await act(async () => root.unmount());
  container.remove();
  for (const client of owned.splice(0)) client.close();
});

const render = (element) => act(async () => root.render(element));
const settle = () => act(() => new Promise((resolve) => setTimeout(resolve, 5)));
/** Server frames, delivered inside act() so React renders what they cause. */
const serve = (socket, ...frames) => act(async () => {
  for (const frame of frames) socket.receive(frame);
});
const openLast = () => act(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  FakeWebSocket.last.open();
});

function Products() {
  const { rows, ready, mode } = useLiveTable('public', 'products');
  const status = useConnectionStatus();
  return h('div', null,
    h('p', { id: 'status' }, `${status} ${ready ? 'ready' : 'loading'} ${mode}`),
    h('ul', null, rows.map((row) => h('li', { key: row.id }, `${row.id}:${row.name}`))));
}

const text = (id) => container.querySelector(`#${id}`)?.textContent;
const items = () => [...container.querySelectorAll('li')].map((li) => li.textContent);

test(`StrictMode: one socket, one subscribe; the list follows the server; unmount leaves no socket (React ${React.version})`, async () => {
  await render(h(StrictMode, null, h(SluiceProvider, { url, options }, h(Products))));
  await openLast();
  assert.equal(FakeWebSocket.instances.length, 1, 'one socket');
  const socket = FakeWebSocket.last;
  await settle();
  assert.deepEqual(socket.sent, [{ type: 'subscribe', channel, snapshot: true }], 'one subscribe, no unsubscribe');
  assert.equal(text('status'), 'open loading syncing');

  await serve(socket,
    { type: 'ack', channel },
    { type: 'snapshot', channel, rows: [{ id: 1, name: 'Lamp' }, { id: 2, name: 'Desk' }], last: true, offset: 'e1-0000000000000001-00000000' });
  assert.deepEqual(items(), ['1:Lamp', '2:Desk']);
  assert.equal(text('status'), 'open ready streaming');

  await serve(socket,
    change(channel, 'e1-0000000000000002-00000000', 'UPDATE', { id: 1, name: 'Desk lamp' }, { id: 1, name: 'Lamp' }, false),
    change(channel, 'e1-0000000000000002-00000001', 'DELETE', undefined, { id: 2, name: 'Desk' }, false),
    change(channel, 'e1-0000000000000002-00000002', 'INSERT', { id: 3, name: 'Chair' }, undefined, true));
  assert.deepEqual(items(), ['1:Desk lamp', '3:Chair']);

  await act(async () => socket.serverClose(1006));
  assert.match(text('status'), /^reconnecting/);
  await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
  await openLast();
  const second = FakeWebSocket.last;
  assert.deepEqual(second.sent, [{ type: 'subscribe', channel, since: 'e1-0000000000000002-00000002' }]);

  await act(async () => root.unmount());
  root = createRoot(container);
  await settle();
  assert.equal(FakeWebSocket.live.length, 0, 'no socket left open');
  assert.equal(second.closedWith.by, 'client');
});

test('StrictMode on a connection that is already open: still one subscribe and no unsubscribe', async () => {
  const client = own(createClient(url, options));
  client.connect();
  await openLast();
  const socket = FakeWebSocket.last;
  await render(h(StrictMode, null, h(SluiceProvider, { client }, h(Products))));
  await settle();
  assert.deepEqual(socket.sent, [{ type: 'subscribe', channel, snapshot: true }]);
  await act(async () => root.unmount());
  root = createRoot(container);
  await settle();
  assert.deepEqual(socket.sent.map((frame) => frame.type), ['subscribe', 'unsubscribe']);
});

test('useRealtime keeps Fluxbase\'s shape ({ data, connected }), gapless, and sends the token', async () => {
  function ProductList() {
    const { data: products, connected } = useRealtime('table:public.products', 'the-token');
    return h('div', null, h('p', { id: 'status' }, `Status: ${connected ? 'Connected' : 'Disconnected'}`),
      products.map((product) => h('li', { key: product.id }, product.name)));
  }
  await render(h(StrictMode, null, h(SluiceProvider, { url, options }, h(ProductList))));
  assert.equal(text('status'), 'Status: Disconnected');
  await openLast();
  const socket = FakeWebSocket.last;
  assert.equal(new URL(socket.url).searchParams.get('token'), 'the-token');
  assert.equal(text('status'), 'Status: Connected');
  await serve(socket, { type: 'ack', channel }, { type: 'snapshot', channel, rows: [{ id: 1, name: 'Lamp' }], last: true, offset: 'e1-0000000000000001-00000000' });
  await serve(socket, change(channel, 'e1-0000000000000002-00000000', 'INSERT', { id: 2, name: 'Desk' }));
  assert.deepEqual(items(), ['Lamp', 'Desk']);
  assert.equal(FakeWebSocket.instances.length, 1);
  assert.equal(socket.frames('subscribe').length, 1);
});

test('components on the same table share one subscription; it ends when the last one unmounts', async () => {
  const client = own(createClient(url, options));
  let setShown;
  function App() {
    const [shown, set] = useState(2);
    setShown = set;
    return h(SluiceProvider, { client }, shown >= 1 ? h(Products) : null, shown >= 2 ? h(Products) : null);
  }
  await render(h(StrictMode, null, h(App)));
  await openLast();
  const socket = FakeWebSocket.last;
  await settle();
  assert.equal(socket.frames('subscribe').length, 1);
  await act(async () => setShown(1));
  await settle();
  assert.equal(socket.frames('unsubscribe').length, 0);
  await act(async () => setShown(0));
  await settle();
  assert.deepEqual(socket.frames('unsubscribe'), [{ type: 'unsubscribe', channel }]);
  assert.equal(client.status, 'open', 'an app-owned client stays open');
});

test('useRoom tracks presence once under StrictMode, usePresence follows it, broadcast works', async () => {
  let room;
  function Lobby() {
    room = useRoom('lobby', { track: { name: 'alice' }, trackKey: 'alice' });
    const presence = usePresence(room);
    return h('p', { id: 'online' }, [...presence.keys()].join(','));
  }
  await render(h(StrictMode, null, h(SluiceProvider, { url, options }, h(Lobby))));
  await openLast();
  const socket = FakeWebSocket.last;
  await serve(socket, { type: 'ack', channel: 'room:lobby', offset: 'r1-0000000000000001' }, { type: 'presence_state', channel: 'room:lobby', presences: [] });
  await settle();
  assert.deepEqual(socket.frames('presence'), [{ type: 'presence', channel: 'room:lobby', state: { name: 'alice' }, key: 'alice' }]);
  await serve(socket, { type: 'presence_diff', channel: 'room:lobby', joins: [{ key: 'alice', ref: '1', state: { name: 'alice' } }, { key: 'bob', ref: '2', state: {} }], leaves: [] });
  assert.equal(text('online'), 'alice,bob');
  const sent = room.broadcast('wave', { to: 'bob' });
  await act(async () => sent);
  assert.equal(socket.frames('broadcast')[0].event, 'wave');
  assert.equal(socket.frames('subscribe').length, 1);
});
