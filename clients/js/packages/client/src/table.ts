import type { ChannelHost } from './client.js';
import type { SluiceError } from './errors.js';
import { BoundedQueue } from './queue.js';
import { closedError, Readiness } from './readiness.js';
import type { Consumer, Subscription } from './subscription.js';
import type { Change, ChangeType, Row } from './types.js';

/** Settings of {@link SluiceClient.table}. */
export interface TableOptions {
  /** Only these change types (default all): `'INSERT'`, `['INSERT', 'UPDATE']`, `'*'`. Filtered by the server. */
  events?: ChangeType | '*' | readonly (ChangeType | '*')[];
  /** Only rows matching this filter, e.g. `price=gt.100` or `status=eq.open,price=gte.10` (the server's filter syntax). */
  filter?: string;
}

/** Why a channel starts over: the server could not resume it (`reason`); changes after `lostAfter` were not delivered. */
export interface ResyncInfo {
  readonly reason: string;
  readonly lostAfter: string | undefined;
}

/** The shared state of a table channel: hands each change to every handle's listeners and iterators, in commit order. */
export class TableCore implements Consumer {
  readonly handles = new Set<TableChannel<unknown>>();
  readonly readiness = new Readiness();
  subscription!: Subscription;

  constructor(
    readonly host: ChannelHost,
    readonly schema: string,
    readonly table: string,
  ) {}

  bind(subscription: Subscription): void {
    this.subscription = subscription;
  }

  canAccept(): boolean {
    for (const handle of this.handles) if (!handle.canAccept()) return false;
    return true;
  }

  change(change: Change): void {
    for (const handle of [...this.handles]) handle.deliver(change);
  }

  snapshot(rows: Row[]): void {
    for (const handle of [...this.handles]) handle.deliverSnapshot(rows);
  }

  resync(reason: string, lostAfter: string | undefined): void {
    for (const handle of [...this.handles]) handle.deliverResync({ reason, lostAfter });
  }

  roomMessage(): void {}
  presenceState(): void {}
  presenceDiff(): void {}

  subscribed(): void {
    this.readiness.subscribed();
  }

  failed(error: SluiceError, refused: boolean): void {
    if (refused) this.readiness.refused(error);
    for (const handle of [...this.handles]) handle.deliverError(error);
  }

  closed(): void {
    this.readiness.fail(closedError(this.subscription.channel));
    for (const handle of [...this.handles]) handle.end();
  }
}

type ChangeListener<T> = (change: Change<T>) => void;

/**
 * A subscription to a table's changes, made with {@link SluiceClient.table}. Listen with {@link on} or iterate with
 * `for await (const change of channel)`. Listeners run in commit order as frames arrive; a throwing listener is
 * reported (`handler_failed`) and the next change is delivered all the same. After a reconnect the channel resumes
 * right after the last change it delivered; when the server cannot resume it (`resync_required`) the channel
 * subscribes again with a snapshot: {@link onResync} and {@link onSnapshot} tell the app.
 */
export class TableChannel<T = Row> implements AsyncIterable<Change<T>> {
  readonly schema: string;
  readonly table: string;
  readonly channel: string;
  private readonly listeners = new Map<ChangeType | '*', Set<ChangeListener<T>>>();
  private readonly snapshotListeners = new Set<(rows: T[]) => void>();
  private readonly resyncListeners = new Set<(info: ResyncInfo) => void>();
  private readonly errorListeners = new Set<(error: SluiceError) => void>();
  private readonly queues = new Set<BoundedQueue<Change<T>>>();
  private open = true;

  /** @internal */
  constructor(
    private readonly host: ChannelHost,
    private readonly subscription: Subscription,
    private readonly core: TableCore,
  ) {
    this.schema = core.schema;
    this.table = core.table;
    this.channel = subscription.channel;
    core.handles.add(this as TableChannel<unknown>);
  }

  /** The row filter, if any. */
  get filter(): string | undefined {
    return this.subscription.spec.filter;
  }

  /** Where a reconnect resumes: the offset of the last change delivered (or of the subscription's start). */
  get lastOffset(): string | undefined {
    return this.subscription.lastOffset;
  }

  /** Calls `listener` for every change of that type (`'*'`: all). Returns the function that removes it. */
  on(event: ChangeType | '*', listener: ChangeListener<T>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Calls `listener` with the table's rows when the channel started over from a snapshot (after a resync). */
  onSnapshot(listener: (rows: T[]) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  /** Calls `listener` when the server could not resume the channel: changes after `lostAfter` were not delivered; a snapshot follows. */
  onResync(listener: (info: ResyncInfo) => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  /** Calls `listener` for every error about this channel (refusals such as `table_not_found`, `subscription_invalidated`, …). */
  onError(listener: (error: SluiceError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Resolves once the server acknowledged the subscription on the current connection; rejects with its code when it refused. */
  subscribed(): Promise<void> {
    return this.core.readiness.wait(this.subscription, this.host.currentSessionId());
  }

  /** The changes as an async iterator (bounded: a consumer that falls far behind pauses the channel, nothing is lost). */
  changes(): AsyncIterableIterator<Change<T>> {
    const queue = new BoundedQueue<Change<T>>(
      this.host.bufferSize,
      () => this.host.resumeAfterOverflow(this.subscription),
      (done) => {
        this.queues.delete(done);
        this.host.resumeAfterOverflow(this.subscription);
      },
    );
    if (this.open) this.queues.add(queue);
    else queue.end();
    return queue;
  }

  [Symbol.asyncIterator](): AsyncIterator<Change<T>> {
    return this.changes();
  }

  /** Stops this handle: its listeners and iterators end; the server subscription ends when no handle holds it. */
  close(): void {
    if (!this.open) return;
    this.end();
    this.host.release(this.subscription);
  }

  /** @internal */
  canAccept(): boolean {
    for (const queue of this.queues) if (queue.full) return false;
    return true;
  }

  /** @internal */
  deliver(change: Change): void {
    if (!this.open) return;
    const typed = change as Change<T>;
    for (const key of [change.type, '*'] as const) {
      const set = this.listeners.get(key);
      if (set === undefined) continue;
      for (const listener of [...set]) this.call(listener, typed, 'a change listener');
    }
    for (const queue of this.queues) queue.push(typed);
  }

  /** @internal */
  deliverSnapshot(rows: Row[]): void {
    if (!this.open) return;
    for (const listener of [...this.snapshotListeners]) this.call(listener, rows as T[], 'a snapshot listener');
  }

  /** @internal */
  deliverResync(info: ResyncInfo): void {
    if (!this.open) return;
    for (const listener of [...this.resyncListeners]) this.call(listener, info, 'a resync listener');
  }

  /** @internal */
  deliverError(error: SluiceError): void {
    if (!this.open) return;
    for (const listener of [...this.errorListeners]) this.call(listener, error, 'an error listener');
  }

  /** @internal */
  end(): void {
    if (!this.open) return;
    this.open = false;
    this.core.handles.delete(this as TableChannel<unknown>);
    for (const queue of this.queues) queue.end();
    this.queues.clear();
    this.listeners.clear();
    // A full iterator of this handle may have paused the channel for everyone else.
    this.host.resumeAfterOverflow(this.subscription);
  }

  private call<A>(listener: (argument: A) => unknown, argument: A, what: string): void {
    try {
      const result = listener(argument);
      if (result instanceof Promise) result.catch((error: unknown) => this.host.handlerFailed(what, error, this.channel));
    } catch (error) {
      this.host.handlerFailed(what, error, this.channel);
    }
  }
}
