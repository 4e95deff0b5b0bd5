// What every compat script shares: the server's WebSocket base URL, polling for a condition with a deadline, waiting for
// a channel to reach SUBSCRIBED, and the stdin/stdout conversation with the C# test that runs the script.
'use strict';
const readline = require('node:readline');
const assert = require('node:assert/strict');

const httpBase = process.env.SLUICE_URL || 'http://127.0.0.1:8080';
const socketBase = httpBase.replace(/^http/, 'ws');

/** A waitFor(predicate, what) that polls every 20 ms and rejects after patienceMs; resolves with the predicate's value. */
function waitWithin(patienceMs) {
  return (predicate, what) => new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const value = predicate();
      if (value) { clearInterval(timer); resolve(value); }
      else if (Date.now() - started > patienceMs) { clearInterval(timer); reject(new Error(`timed out waiting for ${what}`)); }
    }, 20);
  });
}

/** Subscribes the channel; resolves at SUBSCRIBED, rejects at CHANNEL_ERROR or TIMED_OUT. */
function subscribe(channel) {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(new Error(`${status}: ${err && err.message}`));
    });
  });
}

let stdinLines = null;
let stdinReader = null;
/** The next line the test writes to this script's stdin. */
function nextLine() {
  if (stdinLines === null) {
    stdinLines = { pending: [], waiter: null };
    stdinReader = readline.createInterface({ input: process.stdin });
    stdinReader.on('line', (line) => {
      if (stdinLines.waiter) { const w = stdinLines.waiter; stdinLines.waiter = null; w(line); } else stdinLines.pending.push(line);
    });
  }
  return new Promise((resolve) => {
    if (stdinLines.pending.length > 0) resolve(stdinLines.pending.shift()); else stdinLines.waiter = resolve;
  });
}

/** Stops reading stdin, so the script can exit. */
function closeStdin() {
  if (stdinReader !== null) stdinReader.close();
}

/** Prints a request line for the test (e.g. KILL) and checks its answer (e.g. KILLED). */
async function ask(request, expected) {
  console.log(request);
  assert.equal(await nextLine(), expected);
}

module.exports = { httpBase, socketBase, waitWithin, subscribe, nextLine, ask, closeStdin };
