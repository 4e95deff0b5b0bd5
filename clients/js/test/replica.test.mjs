import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Replica, keyFunction } from '../packages/client/dist/replica.js';
import { applyPresenceDiff, applyPresenceState } from '../packages/client/dist/presence.js';

const change = (type, record, oldRecord) => ({ type, schema: 'public', table: 't', record, oldRecord, offset: 'o', commitTimestamp: undefined, txEnd: false });

test('a snapshot replaces every row', () => {
  const replica = new Replica(keyFunction('id'));
  replica.applySnapshot([{ id: 1 }, { id: 2 }]);
  replica.applySnapshot([{ id: 3 }]);
  assert.deepEqual([...replica.rows.keys()], [3]);
});

test('a transaction applies inserts, updates (in place), deletes and truncate in order', () => {
  const replica = new Replica(keyFunction('id'));
  replica.applySnapshot([{ id: 1, v: 0 }, { id: 2, v: 0 }, { id: 3, v: 0 }]);
  replica.applyTransaction([
    change('UPDATE', { id: 1, v: 1 }, { id: 1, v: 0 }),
    change('DELETE', undefined, { id: 2, v: 0 }),
    change('INSERT', { id: 4, v: 0 }),
  ]);
  assert.deepEqual([...replica.rows.values()], [{ id: 1, v: 1 }, { id: 3, v: 0 }, { id: 4, v: 0 }]);
  replica.applyTransaction([change('TRUNCATE'), change('INSERT', { id: 9, v: 0 })]);
  assert.deepEqual([...replica.rows.values()], [{ id: 9, v: 0 }]);
});

test('an update that changes the key moves the row; one without old_record only sets the new row', () => {
  const replica = new Replica(keyFunction('id'));
  replica.applySnapshot([{ id: 1 }, { id: 2 }]);
  replica.applyTransaction([change('UPDATE', { id: 10 }, { id: 1 })]);
  assert.deepEqual([...replica.rows.keys()], [2, 10]);
  replica.applyTransaction([change('UPDATE', { id: 20 }, undefined)]);
  assert.deepEqual([...replica.rows.keys()], [2, 10, 20]);
});

test('composite and function keys', () => {
  const composite = new Replica(keyFunction(['org', 'id']));
  composite.applySnapshot([{ org: 1, id: 1 }, { org: 2, id: 1 }]);
  assert.equal(composite.rows.size, 2);
  composite.applyTransaction([change('DELETE', undefined, { org: 2, id: 1 })]);
  assert.deepEqual([...composite.rows.keys()], ['[1,1]']);
  const byName = new Replica(keyFunction((row) => row.name.toLowerCase()));
  byName.applySnapshot([{ name: 'A' }, { name: 'a' }]);
  assert.deepEqual([...byName.rows.entries()], [['a', { name: 'a' }]]);
});

const entry = (key, ref, state = {}) => ({ key, ref, state });

test('presence_state replaces the view and reports the difference', () => {
  const first = applyPresenceState(new Map(), [entry('alice', '1'), entry('bob', '2'), entry('alice', '3')]);
  assert.deepEqual([...first.presence.keys()], ['alice', 'bob']);
  assert.equal(first.presence.get('alice').length, 2);
  assert.equal(first.sync, true);
  assert.equal(first.joins.length, 3);
  const second = applyPresenceState(first.presence, [entry('alice', '1'), entry('carol', '4')]);
  assert.deepEqual(second.joins.map((e) => e.ref), ['4']);
  assert.deepEqual(second.leaves.map((e) => e.ref).sort(), ['2', '3']);
  assert.throws(() => second.presence.get('alice').push(entry('x', 'y')), TypeError);
});

test('presence_diff applies leaves then joins; an update is a leave and a join; unknown leaves change nothing', () => {
  const start = applyPresenceState(new Map(), [entry('alice', '1', { s: 'away' })]).presence;
  const update = applyPresenceDiff(start, [entry('alice', '2', { s: 'online' })], [entry('alice', '1')]);
  assert.deepEqual(update.presence.get('alice'), [entry('alice', '2', { s: 'online' })]);
  assert.deepEqual(update.leaves, [entry('alice', '1', { s: 'away' })]);
  assert.equal(update.sync, false);
  const gone = applyPresenceDiff(update.presence, [], [entry('alice', '2')]);
  assert.equal(gone.presence.size, 0);
  assert.equal(applyPresenceDiff(gone.presence, [], [entry('nobody', '9')]), undefined);
  const rejoin = applyPresenceDiff(start, [entry('alice', '1', { s: 'back' })], []);
  assert.deepEqual(rejoin.presence.get('alice'), [entry('alice', '1', { s: 'back' })]);
  assert.equal(rejoin.leaves.length, 1);
});
