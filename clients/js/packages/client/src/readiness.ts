import { ClientErrorCodes, SluiceError } from './errors.js';
import type { Subscription } from './subscription.js';

/**
 * Who waits for a channel to be subscribed on the current connection: resolved at the server's ack, rejected when the
 * server refuses the subscription (with its code) or the channel is closed.
 */
export class Readiness {
  private waiters: { resolve: () => void; reject: (error: SluiceError) => void }[] = [];
  /** Why the server last refused the subscription, until the next ack. */
  private refusal: SluiceError | undefined;

  wait(subscription: Subscription, sessionId: number | undefined): Promise<void> {
    if (subscription.closed) return Promise.reject(closedError(subscription.channel));
    const phase = subscription.phaseOn(sessionId);
    if (phase === 'live' || phase === 'snapshotting') return Promise.resolve();
    if (this.refusal !== undefined && phase === 'failed') return Promise.reject(this.refusal);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  subscribed(): void {
    this.refusal = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  refused(error: SluiceError): void {
    this.refusal = error;
    this.fail(error);
  }

  fail(error: SluiceError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}

export function closedError(channel: string): SluiceError {
  return new SluiceError(ClientErrorCodes.Closed, `${channel} was closed`, { channel });
}
