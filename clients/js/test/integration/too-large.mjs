// Rows over the server's maximum record size (4 KiB in this test) arrive reduced — in the snapshot (too_large_rows) and
// in changes (too_large) — and the live table reads them whole by key over HTTP before applying them, so it holds the
// exact rows: the table has rows 1–3 (2 and 3 large) when it subscribes; then row 2 is updated large and row 4 inserted.
import assert from 'node:assert/strict';
import { ask, connect, httpBase, run, waitFor } from './harness.mjs';

const bodyOf = (id, length) => String(id).repeat(length);

run(async () => {
  const { client, errors } = connect({ httpUrl: httpBase });
  const live = client.liveTable('public', 'docs');
  const changes = [];
  live.subscribe((event) => changes.push(...event.changes));
  await live.ready;
  assert.deepEqual([...live.rows.keys()].sort(), [1, 2, 3]);
  assert.equal(live.rows.get(1).body, 'small');
  assert.equal(live.rows.get(2).body, bodyOf(2, 10_000));
  assert.equal(live.rows.get(3).body, bodyOf(3, 20_000));
  console.log('ok - the snapshot\'s reduced rows are held whole once ready');

  await ask('CHANGE', 'CHANGED');
  await waitFor(() => live.rows.has(4), 'row 4 inserted after the large update');
  assert.equal(live.rows.get(2).body, bodyOf(7, 30_000));
  assert.equal(live.rows.get(2).title, 'updated');
  const update = changes.find((change) => change.type === 'UPDATE');
  assert.equal(update.tooLarge, true);
  assert.equal(update.keyFilter, 'id=eq.2');
  assert.deepEqual(update.omittedColumns, ['body']);
  assert.equal(changes.find((change) => change.type === 'INSERT').tooLarge, undefined);
  assert.deepEqual(errors, []);
  console.log('ok - a reduced update is read whole by key and applied in order');
  client.close();
});
