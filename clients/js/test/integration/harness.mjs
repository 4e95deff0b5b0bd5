// What the integration scripts share. They run under the .NET integration suite (test/Sluice.IntegrationTests/JavaScript),
// which starts PostgreSQL and the real server, passes their addresses in the environment, makes the SQL changes, cuts
// sockets and kills the server, and talks to the script over stdin/stdout: the script prints a request line and waits
// for the answer line.
import readline from 'node:readline';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { createClient } from '@sluice/client';

export const httpBase = (process.env.SLUICE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const socketUrl = process.env.SLUICE_WS || `${httpBase.replace(/^http/, 'ws')}/realtime`;
export const patienceMs = Number(process.env.PATIENCE_MS || 90_000);

/** Polls `predicate` every 20 ms until it returns a truthy value (resolved with it); rejects after the patience (a hang guard). */
export function waitFor(predicate, what) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      let value;
      try {
        value = predicate();
      } catch (error) {
        reject(error);
        return;
      }
      if (value) resolve(value);
      else if (Date.now() - started > patienceMs) reject(new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`));
      else setTimeout(check, 20);
    };
    check();
  });
}

/** Resolves with `promise`, or rejects after the patience naming what it waited for (so a hang reports its state). */
export function within(promise, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`)), patienceMs);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

let lines;
/** The next line the test writes to stdin. */
export function nextLine() {
  if (lines === undefined) {
    lines = { pending: [], waiter: undefined, reader: readline.createInterface({ input: process.stdin }) };
    lines.reader.on('line', (line) => {
      if (lines.waiter) {
        const waiter = lines.waiter;
        lines.waiter = undefined;
        waiter(line);
      } else lines.pending.push(line);
    });
  }
  return new Promise((resolve) => {
    if (lines.pending.length > 0) resolve(lines.pending.shift());
    else lines.waiter = resolve;
  });
}

/** Prints a request for the test and returns its answer (checked when `expected` is given). */
export async function ask(request, expected) {
  console.log(request);
  const answer = await nextLine();
  if (expected !== undefined) assert.equal(answer, expected, `answer to ${request}`);
  return answer;
}

/** A client of the server under test on Node 20 (ws), counting the sockets it opens and keeping its errors. */
export function connect(options = {}, url = socketUrl) {
  const sockets = { opened: 0 };
  class CountingWebSocket extends WebSocket {
    constructor(address) {
      super(address);
      sockets.opened++;
    }
  }
  const client = createClient(url, { WebSocket: CountingWebSocket, reconnect: { minMs: 50, maxMs: 500 }, fallback: false, ...options });
  const errors = [];
  client.on('error', (error) => errors.push(error));
  return { client, errors, sockets };
}

/** Runs `main`, prints `not ok` with the stack on failure, closes stdin, and exits 0 or 1. */
export async function run(main) {
  let code = 0;
  try {
    await main();
  } catch (error) {
    code = 1;
    console.log(`not ok - ${error?.stack ?? error}`);
  }
  lines?.reader.close();
  process.exit(code);
}
