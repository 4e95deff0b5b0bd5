import type { ChannelHost } from './client.js';
import { ClientErrorCodes, ServerErrorCodes, SluiceError } from './errors.js';
import { reducedSnapshotRow } from './frames.js';
import { closedError } from './readiness.js';
import { keyFunction, Replica, type KeySpec } from './replica.js';
import type { Consumer, Subscription } from './subscription.js';
import type { Change, Row } from './types.js';

/** Settings of {@link SluiceClient.liveTable}. */
export interface LiveTableOptions<T = Row, K = unknown> {
  /** The row key: a column (default `'id'`), several columns, or a function (pass a stable one: it identifies the live table). */
  key?: KeySpec<T, K>;
  /** Only rows matching this filter, e.g. `price=gt.100`. */
  filter?: string;
}

/** Where a live table's rows come from right now. */
export type LiveTableMode =
  /** Waiting for a (new) snapshot: at start, and after the server asked for a resync. */
  | 'syncing'
  /** A snapshot was applied and changes stream over the WebSocket, transaction by transaction. */
  | 'streaming'
  /** No WebSocket could be made for a while: the rows are refreshed by periodic HTTP reads. */
  | 'fallback';

/** One step of a live table, as {@link LiveTable.subscribe} reports it. */
export interface LiveTableEvent<T, K> {
  /** `transaction` (with its `changes`), `snapshot`, `fallback` (an HTTP refresh), or `resync` (a new snapshot is on its way). */
  readonly reason: 'transaction' | 'snapshot' | 'fallback' | 'resync';
  /** The transaction's changes in commit order; empty otherwise. */
  readonly changes: readonly Change<T>[];
  /** The rows right after this step (an immutable version). */
  readonly rows: ReadonlyMap<K, T>;
}

/** The shared replica behind every handle on one live table. */
export class LiveTableCore implements Consumer {
  readonly handles = new Set<LiveTable<unknown, unknown>>();
  subscription!: Subscription;
  private readonly replica: Replica<Row, unknown>;
  /** Changes of the transaction being received; applied together at its `tx_end`. */
  private transaction: Change[] = [];
  /**
   * Steps (snapshots, transactions) waiting for rows that came reduced to be read whole over HTTP, chained in stream
   * order: while one waits, every later step waits behind it, so the replica still applies them in order.
   */
  private waiting: Promise<void> = Promise.resolve();
  private waitingSteps = 0;
  /** Bumped by a resync and at close: a step queued before is dropped, and its reads are aborted. */
  private epoch = 0;
  private reads = new AbortController();
  private version = 0;
  private mapVersion = -1;
  private map: ReadonlyMap<unknown, Row> = new Map();
  private listVersion = -1;
  private list: readonly Row[] = [];
  mode: LiveTableMode = 'syncing';
  offset: string | undefined;
  error: SluiceError | undefined;
  synced = false;
  private readyPromise!: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: SluiceError) => void;

  constructor(
    readonly host: ChannelHost,
    readonly schema: string,
    readonly table: string,
    readonly filter: string | undefined,
    key: KeySpec<Row, unknown>,
  ) {
    this.replica = new Replica(keyFunction(key));
    this.newReady();
  }

  bind(subscription: Subscription): void {
    this.subscription = subscription;
  }

  get ready(): Promise<void> {
    return this.readyPromise;
  }

  /** The rows as one immutable version (a new Map after every change; the same object until then). */
  get rows(): ReadonlyMap<unknown, Row> {
    if (this.mapVersion !== this.version) {
      this.map = new Map(this.replica.rows);
      this.mapVersion = this.version;
    }
    return this.map;
  }

  /** The rows as a frozen array, one per version. */
  get values(): readonly Row[] {
    if (this.listVersion !== this.version) {
      this.list = Object.freeze([...this.replica.rows.values()]);
      this.listVersion = this.version;
    }
    return this.list;
  }

  /** False while as many steps as the client's buffer wait for reads of reduced rows: the channel pauses, then resumes. */
  canAccept(): boolean {
    return this.waitingSteps < this.host.bufferSize;
  }

  snapshot(rows: Row[], offset: string | undefined, fromHttp: boolean): void {
    this.transaction = [];
    // It replaces every row: steps still waiting are moot.
    this.dropWaiting();
    const reduced = rows.filter((row) => reducedSnapshotRow(row) !== undefined);
    if (reduced.length === 0 && this.waitingSteps === 0) {
      this.applySnapshot(rows, offset, fromHttp);
      return;
    }
    // Rows that came reduced are read whole by their key first, so the replica never holds a partial row.
    this.enqueue(async (signal) => {
      let whole = rows.filter((row) => reducedSnapshotRow(row) === undefined);
      for (const row of reduced) {
        const read = await this.readWhole(reducedSnapshotRow(row)!.keyFilter, signal);
        whole = read.everything ? [...read.rows] : [...whole, ...read.rows];
      }
      return () => this.applySnapshot(whole, offset, fromHttp);
    });
  }

  private applySnapshot(rows: Row[], offset: string | undefined, fromHttp: boolean): void {
    this.replica.applySnapshot(rows);
    this.version++;
    this.offset = offset;
    this.mode = fromHttp ? 'fallback' : 'streaming';
    this.error = undefined;
    this.synced = true;
    this.resolveReady();
    this.notify(fromHttp ? 'fallback' : 'snapshot', []);
  }

  change(change: Change): void {
    this.transaction.push(change);
    if (!change.txEnd) return;
    const changes = this.transaction;
    this.transaction = [];
    const reduced = changes.filter((c) => c.tooLarge === true && (c.type === 'INSERT' || c.type === 'UPDATE'));
    if (reduced.length === 0 && this.waitingSteps === 0) {
      this.applyTransaction(changes, undefined);
      return;
    }
    // Rows that came reduced are read whole by their key first; the read gives the row as it is now, possibly a later
    // version than this transaction's, which the changes still to come bring back in line.
    this.enqueue(async (signal) => {
      const whole = new Map<Change, { rows: readonly Row[]; everything: boolean }>();
      for (const c of reduced) whole.set(c, await this.readWhole(c.keyFilter, signal));
      return () => this.applyTransaction(changes, whole);
    });
  }

  private applyTransaction(changes: Change[], whole: Map<Change, { rows: readonly Row[]; everything: boolean }> | undefined): void {
    this.replica.applyTransaction(changes, whole);
    this.version++;
    this.offset = changes[changes.length - 1]!.offset;
    // A reduced change is reported with the row as read (when it was found), still marked tooLarge.
    const reported = whole === undefined
      ? changes
      : changes.map((c) => {
          const read = whole.get(c);
          return read !== undefined && read.rows.length === 1 ? { ...c, record: read.rows[0] } : c;
        });
    this.notify('transaction', reported);
  }

  /** Queues a step behind those waiting: `prepare` reads what it needs, and the function it returns applies it. */
  private enqueue(prepare: (signal: AbortSignal) => Promise<() => void>): void {
    const epoch = this.epoch;
    const signal = this.reads.signal;
    this.waitingSteps++;
    this.waiting = this.waiting.then(async () => {
      try {
        if (epoch !== this.epoch) return;
        const apply = await prepare(signal);
        if (epoch === this.epoch) apply();
      } catch (error) {
        if (!signal.aborted) this.host.handlerFailed('applying a live table step', error, this.subscription.channel);
      } finally {
        // The last waiting step is done: a channel paused for them (see canAccept) resumes from its last offset.
        if (--this.waitingSteps === 0) this.host.resumeAfterOverflow(this.subscription);
      }
    });
  }

  /**
   * The current version of a reduced row, read over HTTP by its key filter (with the table's filter), retried with the
   * reconnect backoff until it succeeds or the step is dropped. Without a usable key, every row (of the filter) is read.
   */
  private async readWhole(key: string | undefined, signal: AbortSignal): Promise<{ rows: readonly Row[]; everything: boolean }> {
    let filter = key === undefined ? this.filter : this.filter === undefined ? key : `${this.filter},${key}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const rows = await this.host.getRows(this.schema, this.table, filter === undefined ? { signal } : { filter, signal });
        return { rows, everything: key === undefined };
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof SluiceError && error.code === ServerErrorCodes.InvalidFilter && key !== undefined && filter !== key) {
          // The table's filter and the key together are over the filter limits: the key alone finds the row.
          filter = key;
          continue;
        }
        const code = error instanceof SluiceError ? error.code : ClientErrorCodes.FallbackFailed;
        this.host.report(new SluiceError(code, `reading a row of ${this.subscription.channel} that was too large to stream failed: ${(error as Error).message}`,
          { channel: this.subscription.channel, cause: error }));
        await delay(this.host.retryDelay(attempt), signal);
      }
    }
  }

  /** Drops the steps still waiting (their reads are aborted); what arrives next starts a new chain. */
  private dropWaiting(): void {
    this.epoch++;
    this.reads.abort();
    this.reads = new AbortController();
  }

  resync(): void {
    this.transaction = [];
    this.dropWaiting();
    this.mode = 'syncing';
    if (this.synced) {
      this.synced = false;
      this.newReady();
    }
    this.notify('resync', []);
  }

  roomMessage(): void {}
  presenceState(): void {}
  presenceDiff(): void {}
  subscribed(): void {}

  failed(error: SluiceError): void {
    this.error = error;
    for (const handle of [...this.handles]) handle.deliverError(error);
  }

  closed(): void {
    this.dropWaiting();
    if (!this.synced) this.rejectReady(closedError(this.subscription.channel));
    for (const handle of [...this.handles]) handle.end();
  }

  private notify(reason: LiveTableEvent<Row, unknown>['reason'], changes: readonly Change[]): void {
    if (this.handles.size === 0) return;
    const event: LiveTableEvent<Row, unknown> = { reason, changes, rows: this.rows };
    for (const handle of [...this.handles]) handle.deliver(event);
  }

  private newReady(): void {
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody may be waiting; a rejection at close must not become an unhandled rejection.
    this.readyPromise.catch(() => {});
  }
}

/**
 * A local replica of a table (or of the rows matching a filter), made with {@link SluiceClient.liveTable}: the
 * snapshot, then every transaction applied whole when its last change (`tx_end`) arrives, so readers never see half a
 * transaction; resumes after disconnects and server restarts with nothing lost or repeated; reloads when the server
 * asks for a resync; clears on TRUNCATE; polls over HTTP while no WebSocket can be opened (see `fallback`).
 */
export class LiveTable<T = Row, K = unknown> {
  readonly schema: string;
  readonly table: string;
  readonly channel: string;
  private readonly listeners = new Set<(event: LiveTableEvent<T, K>) => void>();
  private readonly errorListeners = new Set<(error: SluiceError) => void>();
  private open = true;

  /** @internal */
  constructor(
    private readonly host: ChannelHost,
    private readonly subscription: Subscription,
    private readonly core: LiveTableCore,
  ) {
    this.schema = core.schema;
    this.table = core.table;
    this.channel = subscription.channel;
    core.handles.add(this as LiveTable<unknown, unknown>);
  }

  /** The row filter, if any. */
  get filter(): string | undefined {
    return this.core.filter;
  }

  /** The rows by key, as one immutable version: the same object until the next change, a new one after it. */
  get rows(): ReadonlyMap<K, T> {
    return this.core.rows as ReadonlyMap<K, T>;
  }

  /** The rows as a frozen array (the Map's order: snapshot order, then inserts), one per version. */
  get values(): readonly T[] {
    return this.core.values as readonly T[];
  }

  /** Whether a complete set of rows is held (false before the first snapshot and during a resync). */
  get synced(): boolean {
    return this.core.synced;
  }

  /** Resolves once the table holds a complete set of rows (at once if it does); rejects if it is closed first. */
  get ready(): Promise<void> {
    return this.core.ready;
  }

  /** `syncing`, `streaming` or `fallback`. */
  get mode(): LiveTableMode {
    return this.core.mode;
  }

  /** The offset the rows are consistent with (last transaction or snapshot); undefined before the first and after an HTTP refresh. */
  get offset(): string | undefined {
    return this.core.offset;
  }

  /** The last error about this table (e.g. `table_not_found`), cleared by the next snapshot. */
  get error(): SluiceError | undefined {
    return this.core.error;
  }

  /** Calls `listener` after every step (transaction, snapshot, fallback refresh, resync). Returns the function that removes it. */
  subscribe(listener: (event: LiveTableEvent<T, K>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` for every error about this table. */
  onError(listener: (error: SluiceError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Stops this handle; the replica stops when no handle holds it. Its last rows stay readable. */
  close(): void {
    if (!this.open) return;
    this.end();
    this.host.release(this.subscription);
  }

  /** @internal */
  deliver(event: LiveTableEvent<Row, unknown>): void {
    for (const listener of [...this.listeners]) this.call(listener, event as unknown as LiveTableEvent<T, K>, 'a live table listener');
  }

  /** @internal */
  deliverError(error: SluiceError): void {
    for (const listener of [...this.errorListeners]) this.call(listener, error, 'an error listener');
  }

  /** @internal */
  end(): void {
    if (!this.open) return;
    this.open = false;
    this.core.handles.delete(this as LiveTable<unknown, unknown>);
    this.listeners.clear();
    this.errorListeners.clear();
  }

  private call<A>(listener: (argument: A) => void, argument: A, what: string): void {
    try {
      listener(argument);
    } catch (error) {
      this.host.handlerFailed(what, error, this.channel);
    }
  }
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
