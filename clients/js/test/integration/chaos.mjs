// Live tables under chaos (the JavaScript twin of the .NET LiveTableChaosTests): while the test's writers change
// public.<TABLE>, it cuts every socket (through a TCP proxy) and kills the server with SIGKILL and restarts it. A live
// table made at the start and one made mid-run (JOIN) must each end equal to the table: every transaction applied
// whole, once, in order. A plain table channel must never see an offset twice or out of order.
import assert from 'node:assert/strict';
import { ask, connect, nextLine, run, waitFor } from './harness.mjs';

const name = process.env.TABLE;

function follow(label) {
  const { client, errors, sockets } = connect();
  const live = client.liveTable('public', name);
  return { label, client, errors, sockets, live };
}

run(async () => {
  const { LiveTableAudit } = await import('./audit.mjs');
  const early = follow('early');
  const earlyAudit = new LiveTableAudit(early.live);
  const changes = connect();
  const channel = changes.client.table('public', name);
  let lastOffset;
  let changeCount = 0;
  const channelViolations = [];
  channel.on('*', (change) => {
    changeCount++;
    if (lastOffset !== undefined && change.offset <= lastOffset && channelViolations.length < 30)
      channelViolations.push(`table channel: offset ${change.offset} after ${lastOffset}`);
    lastOffset = change.offset;
  });
  channel.onResync(() => {
    lastOffset = undefined;
  });
  await early.live.ready;
  await channel.subscribed();
  console.log('READY');

  let late;
  let lateAudit;
  for (;;) {
    const line = await nextLine();
    if (line === 'JOIN') {
      late = follow('late');
      lateAudit = new LiveTableAudit(late.live);
      console.log('JOINED');
    } else if (line.startsWith('MARKER ')) break;
    else throw new Error(`unexpected line ${line}`);
  }
  const expected = JSON.parse(await ask('EXPECTED?'));
  for (const [table, audit] of [[early, earlyAudit], [late, lateAudit]]) {
    await waitFor(() => table.live.rows.has(-1), () => `${table.label} live table caught up with the marker row (${table.live.rows.size} rows, mode ${table.live.mode})`);
    const actual = Object.fromEntries([...table.live.rows].map(([id, row]) => [id, row.version]));
    const problems = [];
    for (const [id, version] of Object.entries(expected)) {
      if (!(id in actual)) problems.push(`missing ${id}`);
      else if (actual[id] !== version) problems.push(`id ${id}: ${actual[id]} != ${version}`);
    }
    for (const id of Object.keys(actual)) if (!(id in expected)) problems.push(`extra ${id}`);
    problems.push(...audit.violations);
    assert.deepEqual(problems.slice(0, 30), [], `${table.label} live table differs (${audit.snapshots} snapshots, ${audit.transactions} transactions)`);
    const unexpected = table.errors.filter((error) => error.code !== 'connect_failed');
    assert.deepEqual(unexpected.map((error) => `${error.code}: ${error.message}`), [], `${table.label}: errors`);
    console.log(`ok - ${table.label} live table equals the table (${Object.keys(expected).length} rows, ${audit.snapshots} snapshots, ${audit.transactions} transactions, ${table.sockets.opened} connections)`);
  }
  assert.ok(earlyAudit.transactions > 0, 'the early live table streamed transactions');
  assert.deepEqual(channelViolations, []);
  assert.ok(changeCount > 0);
  console.log(`ok - the table channel saw ${changeCount} changes, each once and in order`);
  for (const table of [early, late, changes]) table.client.close();
});
