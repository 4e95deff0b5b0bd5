import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../packages/client/dist/backoff.js';

test('the cap doubles from minMs up to maxMs', () => {
  const backoff = new Backoff({ minMs: 100, maxMs: 1000 });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 60, 5000].map((n) => backoff.cap(n)), [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  assert.equal(backoff.cap(-3), 100);
});

test('full jitter: every delay is uniform between zero and the cap', () => {
  const fractions = [0, 0.25, 0.5, 0.999999];
  let i = 0;
  const backoff = new Backoff({ minMs: 100, maxMs: 1000, multiplier: 3 }, () => fractions[i++ % fractions.length]);
  assert.deepEqual(fractions.map(() => backoff.delay(1)), [0, 75, 150, 299]);
  const real = new Backoff({ minMs: 500, maxMs: 30_000 });
  for (let attempt = 0; attempt < 20; attempt++) {
    const delay = real.delay(attempt);
    assert.ok(delay >= 0 && delay <= real.cap(attempt), `attempt ${attempt}: ${delay}`);
  }
});

test('defaults and invalid settings', () => {
  const backoff = new Backoff();
  assert.equal(backoff.minMs, 500);
  assert.equal(backoff.maxMs, 30_000);
  assert.throws(() => new Backoff({ minMs: 0 }), RangeError);
  assert.throws(() => new Backoff({ minMs: 10, maxMs: 5 }), RangeError);
  assert.throws(() => new Backoff({ multiplier: 0.5 }), RangeError);
});
