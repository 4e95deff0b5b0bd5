import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerFrame, toChange, toRoomMessage, presenceEntries, snapshotPart, subscribeFrame, presenceFrame, reducedSnapshotRow } from '../packages/client/dist/frames.js';
import { tableOffsetNotAfter, roomOffsetNotAfter } from '../packages/client/dist/offsets.js';
import { tableChannel, parseTableChannel, roomChannel } from '../packages/client/dist/names.js';
import { tokenExpiry } from '../packages/client/dist/jwt.js';

test('a change frame keeps every JSON type and the additions', () => {
  const frame = parseServerFrame(JSON.stringify({
    type: 'broadcast', channel: 'table:public.products', offset: '3f2a9c01-00000000016B3748-00000000', commit_timestamp: '2025-01-31T12:00:00.123456Z', tx_end: true,
    payload: { type: 'UPDATE', table: 'products', schema: 'public', record: { id: 1, price: 149.99, tags: ['a'], details: { w: 1 }, ok: true, gone: null }, old_record: { id: 1, price: 99.99 } },
  }));
  assert.equal(frame.type, 'broadcast');
  assert.equal(frame.channel, 'table:public.products');
  const change = toChange(frame);
  assert.deepEqual(change, {
    type: 'UPDATE', schema: 'public', table: 'products',
    record: { id: 1, price: 149.99, tags: ['a'], details: { w: 1 }, ok: true, gone: null }, oldRecord: { id: 1, price: 99.99 },
    offset: '3f2a9c01-00000000016B3748-00000000', commitTimestamp: '2025-01-31T12:00:00.123456Z', txEnd: true,
  });
});

test('frames that cannot be understood are invalid_frame errors', () => {
  for (const text of ['not json', '[1,2]', '"x"', '{"channel":"a"}', '{"type":7}']) {
    assert.throws(() => parseServerFrame(text), (error) => error.code === 'invalid_frame', text);
  }
  const bad = [
    { type: 'broadcast', channel: 'table:public.t', payload: { type: 'INSERT', record: {} } }, // no offset
    { type: 'broadcast', channel: 'table:public.t', offset: 'o', payload: { type: 'MERGE' } },
    { type: 'broadcast', channel: 'table:public.t', offset: 'o', payload: { type: 'INSERT' } }, // no record
    { type: 'broadcast', channel: 'table:public.t', offset: 'o', payload: { type: 'DELETE' } }, // no old_record
    { type: 'broadcast', channel: 'table:public.t', offset: 'o' },
  ];
  for (const body of bad) assert.throws(() => toChange(parseServerFrame(JSON.stringify(body))), (error) => error.code === 'invalid_frame' && error.channel === 'table:public.t');
  assert.throws(() => snapshotPart(parseServerFrame('{"type":"snapshot","channel":"c","rows":{}}')), /rows array/);
  assert.throws(() => toRoomMessage(parseServerFrame('{"type":"broadcast","channel":"room:a","payload":1}')), /event/);
  assert.throws(() => presenceEntries(parseServerFrame('{"type":"presence_diff","joins":[{"ref":"1"}]}'), 'joins'), /key/);
});

test('a custom parser can keep big integers exact', () => {
  const parse = (text) => JSON.parse(text.replace(/"id":(\d{16,})/g, '"id":"$1"'));
  const frame = parseServerFrame('{"type":"broadcast","channel":"table:public.t","offset":"e-1-0","payload":{"type":"INSERT","record":{"id":9007199254740993}}}', parse);
  assert.equal(toChange(frame).record.id, '9007199254740993');
});

test('snapshot, room and presence frames', () => {
  assert.deepEqual(snapshotPart(parseServerFrame('{"type":"snapshot","channel":"c","rows":[{"id":1}],"last":true,"offset":"o"}')), { rows: [{ id: 1 }], last: true, offset: 'o' });
  assert.deepEqual(toRoomMessage(parseServerFrame('{"type":"broadcast","channel":"room:a","event":"e","payload":null,"offset":"r1-2"}')), { event: 'e', payload: null, offset: 'r1-2' });
  assert.deepEqual(presenceEntries(parseServerFrame('{"type":"presence_state","presences":[{"key":"k","ref":"1","state":{"a":1}}]}'), 'presences'), [{ key: 'k', ref: '1', state: { a: 1 } }]);
  assert.deepEqual(presenceEntries(parseServerFrame('{"type":"presence_diff"}'), 'leaves'), []);
});

test('client frames: subscribe resumes with since, or asks for a snapshot, with events and filter', () => {
  assert.deepEqual(subscribeFrame('table:public.t', { snapshot: true }), { type: 'subscribe', channel: 'table:public.t', snapshot: true });
  assert.deepEqual(subscribeFrame('table:public.t', { since: 'o1', snapshot: true, filter: 'id=gt.1', events: ['INSERT'] }),
    { type: 'subscribe', channel: 'table:public.t', events: ['INSERT'], filter: 'id=gt.1', since: 'o1' });
  assert.deepEqual(subscribeFrame('room:a', { snapshot: false }), { type: 'subscribe', channel: 'room:a' });
  assert.deepEqual(presenceFrame('room:a', null, undefined), { type: 'presence', channel: 'room:a', state: null });
  assert.deepEqual(presenceFrame('room:a', { s: 1 }, 'me'), { type: 'presence', channel: 'room:a', state: { s: 1 }, key: 'me' });
});

test('offsets compare within an epoch only', () => {
  assert.equal(tableOffsetNotAfter('e1-0000000000000010-00000001', 'e1-0000000000000010-00000002'), true);
  assert.equal(tableOffsetNotAfter('e1-0000000000000010-00000002', 'e1-0000000000000010-00000002'), true);
  assert.equal(tableOffsetNotAfter('e1-0000000000000011-00000000', 'e1-0000000000000010-00000002'), false);
  assert.equal(tableOffsetNotAfter('e0-0000000000000001-00000000', 'e1-0000000000000010-00000002'), false);
  assert.equal(roomOffsetNotAfter('rab-00000000000000ff', 'rab-0000000000000100'), true);
  assert.equal(roomOffsetNotAfter('rab-0000000000000101', 'rab-0000000000000100'), false);
  assert.equal(roomOffsetNotAfter('rab-1', 'rcd-2'), false);
  assert.equal(roomOffsetNotAfter('rab-9', 'rab-10'), true);
});

test('channel names quote like SQL and parse back', () => {
  assert.equal(tableChannel('public', 'products'), 'table:public.products');
  assert.equal(tableChannel('public', 'odd.name'), 'table:public."odd.name"');
  assert.equal(tableChannel('my"schema', 't'), 'table:"my""schema".t');
  for (const [schema, table] of [['public', 'products'], ['public', 'odd.name'], ['my"schema', 'a"b.c']])
    assert.deepEqual(parseTableChannel(tableChannel(schema, table)), { schema, table });
  for (const bad of ['room:x', 'table:public', 'table:.t', 'table:public.', 'table:"open.t', 'table:a.b.c'])
    assert.throws(() => parseTableChannel(bad), (error) => error.code === 'invalid_channel', bad);
  assert.equal(roomChannel('lobby-1:a@b.c'), 'room:lobby-1:a@b.c');
  for (const bad of ['', 'has space', 'x'.repeat(201), 'ünï']) assert.throws(() => roomChannel(bad), (error) => error.code === 'invalid_argument');
});

test('token expiry is read from the JWT, if there is one', () => {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  assert.equal(tokenExpiry(`${encode({ alg: 'HS256' })}.${encode({ exp: 1700000000, sub: 'ü' })}.sig`), 1700000000000);
  assert.equal(tokenExpiry(`${encode({ alg: 'HS256' })}.${encode({ sub: 'x' })}.sig`), undefined);
  assert.equal(tokenExpiry('opaque-token'), undefined);
  assert.equal(tokenExpiry('a.%%%.c'), undefined);
});

test('reduced records: a change carries tooLarge, omittedColumns and the key filter; a snapshot marks its reduced rows', () => {
  const frame = parseServerFrame(JSON.stringify({
    type: 'broadcast', channel: 'table:public.docs', offset: 'e1-0000000000000001-00000000', tx_end: true,
    payload: { type: 'UPDATE', table: 'docs', schema: 'public', record: { org: 'a"\\b', id: 7, title: 'T' }, old_record: { org: 'a"\\b', id: 7 },
      too_large: true, key_columns: ['org', 'id'], omitted_columns: ['body'] },
  }));
  const reduced = toChange(frame);
  assert.equal(reduced.tooLarge, true);
  assert.deepEqual(reduced.omittedColumns, ['body']);
  assert.equal(reduced.keyFilter, 'org=eq."a\\"\\\\b",id=eq.7');
  const whole = toChange(parseServerFrame(JSON.stringify({ type: 'broadcast', channel: 'table:public.docs', offset: 'e1-0000000000000002-00000000',
    payload: { type: 'INSERT', table: 'docs', schema: 'public', record: { id: 8 } } })));
  assert.equal(whole.tooLarge, undefined);
  assert.equal(whole.keyFilter, undefined);

  const part = snapshotPart(parseServerFrame(JSON.stringify({ type: 'snapshot', channel: 'table:public.docs', last: true, offset: 'o',
    rows: [{ id: 1, body: 'x' }, { id: 2 }], too_large_rows: [{ index: 1, omitted_columns: ['body'] }], key_columns: ['id'] })));
  assert.equal(reducedSnapshotRow(part.rows[0]), undefined);
  assert.deepEqual(reducedSnapshotRow(part.rows[1]), { omittedColumns: ['body'], keyFilter: 'id=eq.2' });
  assert.throws(() => snapshotPart(parseServerFrame(JSON.stringify({ type: 'snapshot', channel: 'table:public.docs', rows: [{ id: 1 }], last: true,
    too_large_rows: [{ index: 5 }], key_columns: ['id'] }))), (e) => e.code === 'invalid_frame');
});
