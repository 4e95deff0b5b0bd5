// INSERT, UPDATE and DELETE arrive with their types intact (README "Protocol": numbers, booleans, json, arrays, null,
// ISO timestamps, strings), in commit order with offsets, tx_end and old records; a live table on a second client
// ends equal to the table. The test creates public.typed and makes the changes when asked (CHANGE).
import assert from 'node:assert/strict';
import { ask, connect, run, waitFor } from './harness.mjs';

const inserted = {
  id: 1, small: 7, big: 9007199254740991, price: 12.5, ratio: 0.25, ok: true, name: 'Lamp "desk"', tags: ['home', 'light'],
  details: { watts: 60, dimmable: true, colors: ['warm', 'cold'], nested: { a: null } }, at: '2024-05-06T05:08:09.123456+00:00',
  local: '2024-05-06T05:08:09', day: '2024-05-06', uid: '6f1c2a8e-5b0e-4c1e-9a64-0a5f0b3c9d11', nothing: null, nan: 'NaN',
};
const updated = { ...inserted, price: 99.99, ok: false, tags: [], details: [1, 'two', { three: 3 }], nothing: 'now set' };

run(async () => {
  const changes = connect();
  const table = changes.client.table('public', 'typed');
  const seen = [];
  table.on('*', (change) => seen.push(change));
  const replica = connect();
  const live = replica.client.liveTable('public', 'typed');
  await table.subscribed();
  await live.ready;
  assert.equal(live.values.length, 0);

  await ask('CHANGE', 'CHANGED');
  await waitFor(() => seen.length >= 3, () => `three changes (have ${seen.length})`);
  const [insert, update, remove] = seen;
  assert.equal(insert.type, 'INSERT');
  assert.deepEqual(insert.record, inserted);
  assert.equal(insert.oldRecord, undefined);
  assert.equal(update.type, 'UPDATE');
  assert.deepEqual(update.record, updated);
  assert.deepEqual(update.oldRecord, inserted, 'REPLICA IDENTITY FULL: the whole old row');
  assert.equal(remove.type, 'DELETE');
  assert.deepEqual(remove.oldRecord, updated);
  assert.equal(remove.record, undefined);
  for (const change of seen) {
    assert.equal(change.schema, 'public');
    assert.equal(change.table, 'typed');
    assert.equal(change.txEnd, true, 'one change per transaction');
    assert.match(change.commitTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(typeof (change.record ?? change.oldRecord).id, 'number');
  }
  assert.ok(insert.offset < update.offset && update.offset < remove.offset, 'offsets increase in commit order');
  console.log('ok - INSERT, UPDATE and DELETE arrive with their types intact');

  await waitFor(() => live.offset === remove.offset, 'the live table applied the delete');
  assert.equal(live.values.length, 0);
  const typedValues = [];
  live.subscribe((event) => typedValues.push(...event.changes.map((c) => c.type)));
  await ask('INSERT_AGAIN', 'INSERTED');
  await waitFor(() => live.rows.has(2), 'the second insert');
  assert.deepEqual(live.rows.get(2), { ...inserted, id: 2 });
  assert.deepEqual(typedValues, ['INSERT']);
  assert.deepEqual([...changes.errors, ...replica.errors], []);
  console.log('ok - a live table follows the same changes');
  changes.client.close();
  replica.client.close();
});
