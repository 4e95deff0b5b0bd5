import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { ClientErrorCodes, ServerErrorCodes, SluiceError } from './errors.js';
import {
  authFrame,
  broadcastFrame,
  frameCode,
  frameMessage,
  frameOffset,
  frameRef,
  parseServerFrame,
  presenceEntries,
  snapshotPart,
  subscribeFrame,
  toChange,
  toRoomMessage,
  unsubscribeFrame,
  type ServerFrame,
} from './frames.js';
import { tokenExpiry } from './jwt.js';
import { LiveTable, LiveTableCore, type LiveTableOptions } from './live-table.js';
import { roomChannel, tableChannel } from './names.js';
import { roomOffsetNotAfter, tableOffsetNotAfter } from './offsets.js';
import { Room, RoomCore } from './room.js';
import { Subscription, type Consumer, type SubscriptionSpec } from './subscription.js';
import { Supervisor, type CloseInfo, type Session } from './supervisor.js';
import { TableChannel, TableCore, type TableOptions } from './table.js';
import type { ChangeType, ConnectionStatus, Row, WebSocketConstructor } from './types.js';

/** A token, or a function asked for one before every connection (and when the server says it expired). */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

/** Settings of {@link createClient}. Every one is optional. */
export interface ClientOptions {
  /** A fixed access token (JWT), sent as `?token=`. Ignored when `getToken` is given. */
  token?: string;
  /** Asked for a fresh token before every connection attempt, before the token expires, and when the server reports `token_expired`. */
  getToken?: TokenProvider;
  /** How often a heartbeat frame is sent, in ms. Default 15 000. */
  heartbeatMs?: number;
  /** A connection on which nothing arrives for this long is dropped and replaced, in ms. Default 3 × `heartbeatMs`. */
  heartbeatTimeoutMs?: number;
  /** How long one connection attempt may take, in ms. Default 15 000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff (exponential, full jitter). Default 500 ms doubling to 30 s. */
  reconnect?: BackoffOptions;
  /** The WebSocket constructor. Default `globalThis.WebSocket` (browsers, Node ≥ 22); on Node 20 pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** The fetch function for HTTP reads (the fallback, `getRows`). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** The server's HTTP root, e.g. `http://localhost:8080/`. Default: the WebSocket URL with http(s) and without `/realtime`. */
  httpUrl?: string;
  /**
   * When no WebSocket could be opened for `afterMs` (default 30 000), live tables read their rows over HTTP every
   * `pollMs` (default 10 000) until the WebSocket is back. `false` turns the fallback off.
   */
  fallback?: { afterMs?: number; pollMs?: number } | false;
  /** How many changes an async iterator may hold before its channel pauses (and later resumes from its offset). Default 10 000. */
  bufferSize?: number;
  /** Refresh the token this long before it expires (read from the JWT's `exp`), in ms. Default 30 000; `false` only on `token_expired`. */
  refreshBeforeExpiryMs?: number | false;
  /** Parses frames. Default `JSON.parse` (numbers beyond 2^53 lose precision; pass a parser that keeps them if you need them exact). */
  parse?: (text: string) => unknown;
  /** Connect as soon as the first channel is made (default true); otherwise call `connect()`. */
  autoConnect?: boolean;
}

/** What a client emits; `on` returns the function that removes the listener. */
export interface ClientEvents extends Record<string, unknown[]> {
  /** The connection status changed. */
  status: [status: ConnectionStatus, previous: ConnectionStatus];
  connecting: [];
  open: [];
  reconnecting: [];
  idle: [];
  closed: [];
  /** An `error` frame from the server (with its `code`) or a client-side problem. Never fatal. */
  error: [error: SluiceError];
  /** The server accepted a token sent on the live connection. */
  auth: [info: { role: string | undefined; expiresAt: number | undefined }];
}

interface PendingBroadcast {
  channel: string;
  sessionId: number;
  resolve: (offset: string) => void;
  reject: (error: SluiceError) => void;
  /** Nobody awaits it (an ack the client asked for itself): a refusal goes to the error listeners. */
  quiet?: boolean;
}

/** Internal surface the channel cores use. */
export interface ChannelHost {
  report(error: SluiceError): void;
  resumeAfterOverflow(subscription: Subscription): void;
  send(subscription: Subscription, frame: object): boolean;
  publish(subscription: Subscription, core: RoomCore, event: string, payload: unknown, ack: boolean, self: boolean): Promise<string | undefined>;
  currentSessionId(): number | undefined;
  release(subscription: Subscription): void;
  handlerFailed(what: string, error: unknown, channel?: string): void;
  getRows(schema: string, table: string, options: { filter?: string; signal?: AbortSignal }): Promise<Row[]>;
  /** The reconnect backoff's delay before retry `attempt` (0 for the first), in ms. */
  retryDelay(attempt: number): number;
  readonly bufferSize: number;
}

/**
 * A client of a Sluice server: one supervised WebSocket (reconnects forever with backoff until closed, heartbeats,
 * close codes honoured) carrying every channel, each resumed exactly where it left off after a reconnect.
 * Create it with {@link createClient}.
 */
export class SluiceClient implements ChannelHost {
  readonly url: string;
  readonly bufferSize: number;
  private readonly emitter = new Emitter<ClientEvents>();
  private readonly supervisor: Supervisor;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly pendingBroadcasts = new Map<string, PendingBroadcast>();
  /** Replies to unsubscribes still owed on the current connection, per channel: frames before them belong to the old subscription. */
  private unsubscribing = new Map<string, number>();
  private readonly backoff: Backoff;
  private readonly parse: (text: string) => unknown;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly fallbackAfterMs: number | undefined;
  private readonly fallbackPollMs: number;
  private fallbackTimer: ReturnType<typeof setTimeout> | undefined;
  private fixedToken: string | undefined;
  private tokenInUse: string | undefined;
  private refreshing = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private broadcastRefs = 0;
  private closedForGood = false;

  constructor(
    url: string,
    private readonly options: ClientOptions = {},
  ) {
    this.url = absoluteWebSocketUrl(url);
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketImpl === undefined)
      throw new SluiceError(ClientErrorCodes.WebSocketUnavailable,
        "no WebSocket implementation: on Node 20 pass one, e.g. createClient(url, { WebSocket }) with import { WebSocket } from 'ws'");
    const heartbeatMs = positive(options.heartbeatMs ?? 15_000, 'heartbeatMs');
    const heartbeatTimeoutMs = positive(options.heartbeatTimeoutMs ?? heartbeatMs * 3, 'heartbeatTimeoutMs');
    if (heartbeatTimeoutMs <= heartbeatMs) throw new SluiceError(ClientErrorCodes.InvalidArgument, 'heartbeatTimeoutMs must be longer than heartbeatMs');
    this.backoff = new Backoff(options.reconnect);
    this.bufferSize = Math.max(2, options.bufferSize ?? 10_000);
    this.parse = options.parse ?? JSON.parse;
    this.fetchImpl = options.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
    this.fixedToken = options.token;
    this.fallbackAfterMs = options.fallback === false ? undefined : positive(options.fallback?.afterMs ?? 30_000, 'fallback.afterMs');
    this.fallbackPollMs = options.fallback === false ? 10_000 : positive(options.fallback?.pollMs ?? 10_000, 'fallback.pollMs');
    this.supervisor = new Supervisor(
      {
        url: this.url,
        WebSocket: WebSocketImpl,
        heartbeatMs,
        heartbeatTimeoutMs,
        connectTimeoutMs: positive(options.connectTimeoutMs ?? 15_000, 'connectTimeoutMs'),
        backoff: this.backoff,
      },
      {
        token: () => this.connectToken(),
        opened: (session) => this.opened(session),
        received: (session, text) => this.received(session, text),
        lost: (session, info) => this.lost(session, info),
        statusChanged: (status, previous) => this.statusChanged(status, previous),
        error: (error) => this.report(error),
      },
    );
  }

  /** The connection's status: `idle`, `connecting`, `open`, `reconnecting` or `closed`. */
  get status(): ConnectionStatus {
    return this.supervisor.status;
  }

  /** Listens to an event (`status`, `open`, `connecting`, `reconnecting`, `idle`, `closed`, `error`, `auth`); returns the function that stops listening. */
  on<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Starts connecting (done by itself when the first channel is made, unless `autoConnect: false`). */
  connect(): void {
    this.ensureNotClosed();
    this.supervisor.start();
    this.scheduleFallback();
  }

  /** Closes the connection and stops reconnecting; channels stay and resume where they were on the next `connect()`. */
  disconnect(): void {
    if (this.closedForGood) return;
    this.supervisor.stop(false);
    clearTimeout(this.refreshTimer);
  }

  /** Closes the connection and every channel, for good. Nothing keeps running afterwards (no timers, no socket). */
  close(): void {
    if (this.closedForGood) return;
    this.closedForGood = true;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.fallbackTimer);
    this.fallbackTimer = undefined;
    this.supervisor.stop(true);
    for (const subscription of [...this.subscriptions.values()]) this.teardown(subscription);
    this.emitter.clear();
  }

  /**
   * Subscribes to a table's changes (channel `table:{schema}.{table}`). Listen with `on('INSERT' | … | '*', cb)` or
   * iterate with `for await`. After a reconnect the channel resumes after the last change it delivered.
   */
  table<T = Row>(schema: string, table: string, options: TableOptions = {}): TableChannel<T> {
    const events = normalizeEvents(options.events);
    const spec: SubscriptionSpec = { kind: 'table', channel: tableChannel(schema, table), events, filter: options.filter || undefined, identity: undefined };
    const subscription = this.acquire(spec, () => new TableCore(this, schema, table));
    return new TableChannel<T>(this, subscription, subscription.consumer as TableCore);
  }

  /**
   * A local replica of a table (or of the rows matching `filter`): the snapshot, then every transaction applied
   * whole at its `tx_end`; resumes after disconnects, reloads on resync, clears on TRUNCATE, and falls back to HTTP
   * polling while no WebSocket can be opened.
   */
  liveTable<T = Row, K = unknown>(schema: string, table: string, options: LiveTableOptions<T, K> = {}): LiveTable<T, K> {
    const key = options.key ?? 'id';
    const identity = typeof key === 'function' ? key : JSON.stringify(key);
    const spec: SubscriptionSpec = { kind: 'live', channel: tableChannel(schema, table), events: undefined, filter: options.filter || undefined, identity };
    const subscription = this.acquire(spec, () => new LiveTableCore(this, schema, table, spec.filter, key as LiveTableOptions<Row, unknown>['key'] & object));
    this.scheduleFallback();
    return new LiveTable<T, K>(this, subscription, subscription.consumer as LiveTableCore);
  }

  /** Joins a room (channel `room:<name>`): broadcast messages and presence. */
  room(name: string): Room {
    const spec: SubscriptionSpec = { kind: 'room', channel: roomChannel(name), events: undefined, filter: undefined, identity: undefined };
    const subscription = this.acquire(spec, () => new RoomCore(this, name));
    return new Room(this, subscription, subscription.consumer as RoomCore);
  }

  /**
   * Reads a table's current rows over HTTP (`GET /api/tables/{schema}.{table}/rows`), as the fallback does. Rejects
   * with a {@link SluiceError} carrying the server's code (`table_not_found`, `invalid_filter`, `forbidden`, …).
   */
  async getRows<T = Row>(schema: string, table: string, options: { filter?: string; signal?: AbortSignal } = {}): Promise<T[]> {
    const fetchImpl = this.fetchImpl;
    if (fetchImpl === undefined) throw new SluiceError(ClientErrorCodes.FallbackFailed, 'no fetch implementation: pass one as the fetch option');
    const name = tableChannel(schema, table).slice('table:'.length);
    const url = new URL(`api/tables/${encodeURIComponent(name)}/rows`, this.httpBase());
    if (options.filter) url.searchParams.set('filter', options.filter);
    const token = await this.currentToken();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetchImpl(url.toString(), { headers, signal: options.signal ?? null });
    } catch (error) {
      throw new SluiceError(ClientErrorCodes.FallbackFailed, `GET ${url.pathname} failed: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) {
      let body: { code?: unknown; error?: unknown; message?: unknown } | undefined;
      try {
        body = (await response.json()) as typeof body;
      } catch {
        // Not a Sluice error body (a proxy's page, say): report the status.
      }
      const code = typeof body?.code === 'string' ? body.code : ClientErrorCodes.FallbackFailed;
      const message = typeof body?.error === 'string' ? body.error : typeof body?.message === 'string' ? body.message : `GET ${url.pathname} answered ${response.status}`;
      throw new SluiceError(code, message, { channel: tableChannel(schema, table) });
    }
    const body = (await response.json()) as { rows?: unknown };
    if (!Array.isArray(body?.rows)) throw new SluiceError(ClientErrorCodes.FallbackFailed, `GET ${url.pathname}: the answer has no rows array`);
    return body.rows as T[];
  }

  /**
   * Replaces the token: `setToken(t)` keeps `t` for later connections and, when connected, sends it on the live
   * connection (`auth` frame, no reconnect). With `getToken` configured, call {@link refreshToken} instead.
   */
  async setToken(token: string | undefined): Promise<boolean> {
    this.fixedToken = token;
    return this.sendToken(token);
  }

  /** Asks `getToken` (or the fixed token) for a token and, if it differs from the one in use, sends it on the live connection. */
  async refreshToken(): Promise<boolean> {
    return this.sendToken(await this.currentToken());
  }

  // ---- channels ---------------------------------------------------------------------------------------------------

  private acquire(spec: SubscriptionSpec, create: () => Consumer): Subscription {
    this.ensureNotClosed();
    let subscription = this.subscriptions.get(spec.channel);
    if (subscription !== undefined) {
      if (sameSpec(subscription.spec, spec)) {
        clearTimeout(subscription.teardown);
        subscription.teardown = undefined;
        subscription.refs++;
        return subscription;
      }
      if (subscription.refs > 0)
        throw new SluiceError(ClientErrorCodes.ChannelInUse,
          `this client already has ${spec.channel} with other settings (${describeSpec(subscription.spec)}); close it first or use a second client (the server keeps one subscription per channel and connection)`,
          { channel: spec.channel });
      this.teardown(subscription);
    }
    subscription = new Subscription(spec, create());
    subscription.consumer.bind(subscription);
    subscription.refs = 1;
    this.subscriptions.set(spec.channel, subscription);
    if (this.options.autoConnect !== false && !this.supervisor.started) this.supervisor.start();
    this.subscribe(subscription);
    return subscription;
  }

  /** @internal A handle was closed: the subscription ends once no handle holds it (after the current task, so a React StrictMode remount keeps it). */
  release(subscription: Subscription): void {
    if (subscription.closed || subscription.refs === 0) return;
    if (--subscription.refs > 0) return;
    subscription.teardown = setTimeout(() => this.teardown(subscription), 0);
  }

  private teardown(subscription: Subscription): void {
    if (subscription.closed) return;
    clearTimeout(subscription.teardown);
    clearTimeout(subscription.retry);
    subscription.closed = true;
    subscription.refs = 0;
    if (this.subscriptions.get(subscription.channel) === subscription) this.subscriptions.delete(subscription.channel);
    const session = this.supervisor.session;
    if (session !== undefined && subscription.phaseOn(session.id) !== 'idle') {
      // Everything the server sends on this channel until it confirms is the old subscription's.
      this.unsubscribing.set(subscription.channel, (this.unsubscribing.get(subscription.channel) ?? 0) + 1);
      session.send(unsubscribeFrame(subscription.channel));
    }
    for (const [reference, pending] of this.pendingBroadcasts) {
      if (pending.channel !== subscription.channel) continue;
      this.pendingBroadcasts.delete(reference);
      pending.reject(new SluiceError(ClientErrorCodes.Closed, `the room ${subscription.channel} was closed before the server acknowledged the broadcast`, { channel: subscription.channel }));
    }
    subscription.consumer.closed();
    if (this.liveSubscriptions().length === 0) {
      clearTimeout(this.fallbackTimer);
      this.fallbackTimer = undefined;
    }
  }

  /** Sends the channel's subscribe on the current connection: resuming from its last offset, or with a snapshot. */
  private subscribe(subscription: Subscription): void {
    const session = this.supervisor.session;
    if (session === undefined || subscription.closed || subscription.overflowed) return;
    if (subscription.sessionId !== session.id) {
      subscription.sessionId = session.id;
      subscription.phase = 'idle';
      subscription.resubscribeWanted = false;
      subscription.snapshotRows = undefined;
    }
    if (subscription.phase === 'pending') {
      subscription.resubscribeWanted = true;
      return;
    }
    const since = subscription.lastOffset;
    const snapshot = since === undefined && (subscription.wantsSnapshot || subscription.forceSnapshot);
    subscription.refusedAsExpired = false;
    subscription.phase = 'pending';
    subscription.pendingSnapshot = snapshot;
    subscription.generation++;
    session.send(subscribeFrame(subscription.channel, { events: subscription.spec.events, filter: subscription.spec.filter, since, snapshot }));
  }

  // ---- frames -----------------------------------------------------------------------------------------------------

  private received(session: Session, text: string): void {
    let frame: ServerFrame;
    try {
      frame = parseServerFrame(text, this.parse);
    } catch (error) {
      this.report(error as SluiceError);
      return;
    }
    try {
      this.handle(session, frame);
    } catch (error) {
      this.report(error instanceof SluiceError ? error : new SluiceError(ClientErrorCodes.InvalidFrame, `a ${frame.type} frame could not be handled: ${(error as Error).message}`, { channel: frame.channel, cause: error }));
    }
  }

  private handle(session: Session, frame: ServerFrame): void {
    const type = frame.type;
    if (type === 'heartbeat') return;
    // Only broadcasts carry a ref: their ack or refusal is no reply to a subscribe.
    if ((type === 'broadcast_ack' || type === 'error') && frameRef(frame) !== undefined && this.broadcastReply(frame)) return;
    if (type === 'unsubscribed' || (type === 'error' && frameCode(frame) === ServerErrorCodes.NotSubscribed)) {
      if (frame.channel !== undefined && this.endUnsubscribing(frame.channel)) return;
      if (type === 'unsubscribed') return;
    }
    if (type === 'auth_ok') {
      this.authAccepted(session, frame);
      return;
    }
    if (type === 'error' && frameCode(frame) === ServerErrorCodes.TokenExpired) this.tokenExpired();
    if (frame.channel !== undefined && (this.unsubscribing.get(frame.channel) ?? 0) > 0) return;
    const subscription = frame.channel === undefined ? undefined : this.subscriptions.get(frame.channel);
    if (subscription === undefined || subscription.closed) {
      if (type === 'error') this.report(errorOf(frame));
      return;
    }
    const phase = subscription.phaseOn(session.id);
    let resubscribe = false;
    let acknowledged = false;
    switch (type) {
      case 'ack':
        if (phase === 'pending') {
          // A live subscribe's ack says where it starts: the resume point until the first change.
          const offset = frameOffset(frame);
          if (!subscription.pendingSnapshot && subscription.lastOffset === undefined && offset !== undefined) subscription.lastOffset = offset;
          subscription.phase = subscription.pendingSnapshot ? 'snapshotting' : 'live';
          subscription.snapshotRows = subscription.pendingSnapshot ? [] : undefined;
          subscription.failedAttempts = 0;
          resubscribe = subscription.resubscribeWanted;
          subscription.resubscribeWanted = false;
          acknowledged = true;
        } else if (phase === 'snapshotting') subscription.snapshotRows = [];
        break;
      case 'snapshot':
        if (phase === 'snapshotting') this.acceptSnapshot(subscription, frame);
        break;
      case 'broadcast':
        if (phase === 'live' && subscription.isRoom) this.acceptRoomMessage(subscription, frame);
        else if (phase === 'live') this.acceptChange(subscription, frame);
        break;
      case 'presence_state':
      case 'presence_diff':
        if (phase === 'live' && subscription.isRoom) {
          if (type === 'presence_state') subscription.consumer.presenceState(presenceEntries(frame, 'presences'));
          else subscription.consumer.presenceDiff(presenceEntries(frame, 'joins'), presenceEntries(frame, 'leaves'));
        }
        break;
      case 'resync_required': {
        const lostAfter = subscription.lastOffset;
        subscription.lastOffset = undefined;
        // A room has no snapshot: it starts again from the present, and what was published meanwhile is lost.
        subscription.forceSnapshot = !subscription.isRoom;
        if (phase !== 'paused') {
          subscription.phase = 'idle';
          subscription.resubscribeWanted = false;
          resubscribe = true;
        }
        subscription.consumer.resync(frameMessage(frame) || 'resync required', lostAfter);
        break;
      }
      case 'error': {
        const error = errorOf(frame);
        const refused = this.channelError(subscription, phase, error.code);
        this.report(error);
        subscription.consumer.failed(error, refused);
        break;
      }
      default:
        break;
    }
    if (acknowledged) subscription.consumer.subscribed();
    if (resubscribe) this.subscribe(subscription);
  }

  private acceptSnapshot(subscription: Subscription, frame: ServerFrame): void {
    const part = snapshotPart(frame);
    const rows = subscription.snapshotRows ?? (subscription.snapshotRows = []);
    for (const row of part.rows) rows.push(row);
    if (!part.last) return;
    subscription.snapshotRows = undefined;
    if (!subscription.consumer.canAccept()) {
      this.overflow(subscription);
      return;
    }
    subscription.lastOffset = part.offset;
    subscription.forceSnapshot = false;
    subscription.phase = 'live';
    subscription.consumer.snapshot(rows, part.offset, false);
  }

  private acceptChange(subscription: Subscription, frame: ServerFrame): void {
    const change = toChange(frame);
    if (subscription.lastOffset !== undefined && tableOffsetNotAfter(change.offset, subscription.lastOffset)) return;
    if (!subscription.consumer.canAccept()) {
      this.overflow(subscription);
      return;
    }
    subscription.lastOffset = change.offset;
    subscription.consumer.change(change);
  }

  private acceptRoomMessage(subscription: Subscription, frame: ServerFrame): void {
    const message = toRoomMessage(frame);
    if (subscription.lastOffset !== undefined && roomOffsetNotAfter(message.offset, subscription.lastOffset)) return;
    if (!subscription.consumer.canAccept()) {
      this.overflow(subscription);
      return;
    }
    subscription.lastOffset = message.offset;
    subscription.consumer.roomMessage(message);
  }

  /** Handles an error frame about a channel; returns whether it refused a pending subscribe. */
  private channelError(subscription: Subscription, phase: Subscription['phase'], code: string): boolean {
    if (phase === 'pending' && code === ServerErrorCodes.TokenExpired) {
      subscription.phase = 'idle';
      subscription.resubscribeWanted = false;
      subscription.refusedAsExpired = true;
      return false;
    }
    if (phase === 'pending') {
      subscription.phase = 'failed';
      subscription.resubscribeWanted = false;
      if (code === ServerErrorCodes.DatabaseUnavailable || code === ServerErrorCodes.InternalError) this.retryLater(subscription);
      return true;
    }
    if (code === ServerErrorCodes.SubscriptionInvalidated && (phase === 'live' || phase === 'snapshotting')) subscription.phase = 'failed';
    else if (code === ServerErrorCodes.DatabaseUnavailable && phase === 'snapshotting') {
      // The snapshot could not be finished; ask again.
      subscription.phase = 'failed';
      this.retryLater(subscription);
    }
    return false;
  }

  private retryLater(subscription: Subscription): void {
    const sessionId = subscription.sessionId;
    clearTimeout(subscription.retry);
    subscription.retry = setTimeout(() => {
      if (subscription.closed || subscription.sessionId !== sessionId || subscription.phase !== 'failed') return;
      subscription.phase = 'idle';
      this.subscribe(subscription);
    }, this.backoff.delay(subscription.failedAttempts++));
  }

  private overflow(subscription: Subscription): void {
    subscription.overflowed = true;
    subscription.phase = 'paused';
    subscription.snapshotRows = undefined;
    this.report(new SluiceError(ClientErrorCodes.BufferOverflow,
      `an async iterator of ${subscription.channel} fell ${this.bufferSize} items behind; the channel pauses and resumes from offset ${subscription.lastOffset ?? '(snapshot)'}`,
      { channel: subscription.channel }));
  }

  /** @internal An iterator worked its buffer off: subscribe again from the last offset taken in. */
  resumeAfterOverflow(subscription: Subscription): void {
    if (!subscription.overflowed || subscription.closed) return;
    subscription.overflowed = false;
    subscription.phase = 'idle';
    this.subscribe(subscription);
  }

  private endUnsubscribing(channel: string): boolean {
    const owed = this.unsubscribing.get(channel) ?? 0;
    if (owed === 0) return false;
    if (owed === 1) this.unsubscribing.delete(channel);
    else this.unsubscribing.set(channel, owed - 1);
    return true;
  }

  // ---- connection -------------------------------------------------------------------------------------------------

  private opened(_session: Session): void {
    this.unsubscribing = new Map();
    this.scheduleTokenRefresh(this.tokenInUse);
    for (const subscription of [...this.subscriptions.values()]) this.subscribe(subscription);
  }

  /** The connection is gone: no channel is subscribed any more, and unanswered broadcasts may or may not have been published. */
  private lost(session: Session, _info: CloseInfo): void {
    clearTimeout(this.refreshTimer);
    this.unsubscribing = new Map();
    for (const subscription of this.subscriptions.values()) {
      if (subscription.sessionId === session.id && subscription.phase !== 'paused') subscription.phase = 'idle';
      subscription.snapshotRows = undefined;
    }
    for (const [reference, pending] of this.pendingBroadcasts) {
      if (pending.sessionId !== session.id) continue;
      this.pendingBroadcasts.delete(reference);
      pending.reject(new SluiceError(ClientErrorCodes.ConnectionLost,
        `the connection was lost before the server acknowledged the broadcast to ${pending.channel}; it may or may not have been published`, { channel: pending.channel }));
    }
  }

  private statusChanged(status: ConnectionStatus, previous: ConnectionStatus): void {
    const fail = (error: unknown) => this.handlerFailed('a status listener', error);
    this.emitter.emit('status', [status, previous], fail);
    this.emitter.emit(status, [], fail);
  }

  // ---- tokens -----------------------------------------------------------------------------------------------------

  private async currentToken(): Promise<string | undefined> {
    if (this.options.getToken !== undefined) return (await this.options.getToken()) ?? undefined;
    return this.fixedToken;
  }

  private async connectToken(): Promise<string | undefined> {
    const token = await this.currentToken();
    this.tokenInUse = token;
    return token;
  }

  private async sendToken(token: string | undefined): Promise<boolean> {
    const session = this.supervisor.session;
    if (session === undefined || !token || token === this.tokenInUse) return false;
    this.tokenInUse = token;
    const sent = session.send(authFrame(token));
    if (sent) this.scheduleTokenRefresh(token);
    return sent;
  }

  /** The server paused delivery because the token expired: fetch a new one and send it, once at a time. */
  private tokenExpired(): void {
    if (this.refreshing) return;
    this.refreshing = true;
    void (async () => {
      try {
        if (!(await this.refreshToken()))
          this.report(new SluiceError(ClientErrorCodes.TokenRefreshFailed,
            'the access token expired and no new one was given (getToken returned the same token, or there is no getToken); delivery stays paused until setToken or refreshToken sends one'));
      } catch (error) {
        this.report(new SluiceError(ClientErrorCodes.TokenRefreshFailed, `refreshing the expired access token failed: ${(error as Error).message}`, { cause: error }));
      } finally {
        this.refreshing = false;
      }
    })();
  }

  /** A new token was accepted: subscribe again the channels refused while it was expired. */
  private authAccepted(session: Session, frame: ServerFrame): void {
    const expires = frame.body.expires_at;
    this.emitter.emit('auth', [{ role: typeof frame.body.role === 'string' ? frame.body.role : undefined, expiresAt: typeof expires === 'number' ? expires * 1000 : undefined }],
      (error) => this.handlerFailed('an auth listener', error));
    for (const subscription of this.subscriptions.values()) {
      if (!subscription.closed && subscription.refusedAsExpired && subscription.phaseOn(session.id) === 'idle') this.subscribe(subscription);
    }
  }

  /** Before the token in use expires, ask `getToken` for the next one and send it (no pause in delivery). */
  private scheduleTokenRefresh(token: string | undefined): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const ahead = this.options.refreshBeforeExpiryMs ?? 30_000;
    if (ahead === false || this.options.getToken === undefined || !token) return;
    const expiry = tokenExpiry(token);
    if (expiry === undefined) return;
    const remaining = expiry - Date.now();
    // A short-lived token is refreshed at half its remaining life rather than `ahead` before the end.
    const wait = Math.max(1_000, remaining > 2 * ahead ? remaining - ahead : remaining / 2);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshToken().catch((error: unknown) =>
        this.report(new SluiceError(ClientErrorCodes.TokenRefreshFailed, `refreshing the access token failed: ${(error as Error).message}`, { cause: error })));
    }, wait);
  }

  // ---- rooms ------------------------------------------------------------------------------------------------------

  /** @internal Sends a room broadcast once the room is subscribed; with ack, resolves with the server's offset. */
  async publish(subscription: Subscription, core: RoomCore, event: string, payload: unknown, ack: boolean, self: boolean): Promise<string | undefined> {
    let session: Session | undefined;
    for (;;) {
      await core.waitSubscribed();
      session = this.supervisor.session;
      if (session !== undefined && subscription.phaseOn(session.id) === 'live') break;
    }
    const reference = `b${++this.broadcastRefs}`;
    let answer: Promise<string> | undefined;
    const sessionId = session.id;
    if (ack) {
      answer = new Promise<string>((resolve, reject) =>
        this.pendingBroadcasts.set(reference, { channel: subscription.channel, sessionId, resolve: (offset) => {
          if (!self) core.sentWithoutSelf(offset);
          resolve(offset);
        }, reject }));
    } else if (!self) {
      // Asked for an ack all the same, to learn the message's offset: a resume with since replays the room's history,
      // and this client's own message (sent without self) must not come back to it then.
      this.pendingBroadcasts.set(reference, { channel: subscription.channel, sessionId, resolve: (offset) => core.sentWithoutSelf(offset), reject: () => {}, quiet: true });
    }
    if (!session.send(broadcastFrame(subscription.channel, event, payload, self, ack || !self, reference))) {
      this.pendingBroadcasts.delete(reference);
      throw new SluiceError(ClientErrorCodes.ConnectionLost, `the connection was lost before the broadcast to ${subscription.channel} could be sent`, { channel: subscription.channel });
    }
    return answer === undefined ? undefined : await answer;
  }

  /** A frame carrying a `ref` answers a broadcast: an ack or a refusal. Returns whether it was one. */
  private broadcastReply(frame: ServerFrame): boolean {
    const reference = frameRef(frame)!;
    const pending = this.pendingBroadcasts.get(reference);
    this.pendingBroadcasts.delete(reference);
    if (frame.type === 'broadcast_ack') {
      const offset = frameOffset(frame);
      if (offset !== undefined) pending?.resolve(offset);
      else pending?.reject(new SluiceError(ClientErrorCodes.InvalidFrame, 'broadcast_ack without an offset', { channel: frame.channel }));
      return true;
    }
    const error = errorOf(frame);
    if (pending !== undefined && !pending.quiet) pending.reject(new SluiceError(error.code, `the broadcast to ${pending.channel} was refused: ${error.message}`, { channel: pending.channel }));
    // A broadcast sent without ack was refused: nobody awaits it.
    else this.report(error);
    return true;
  }

  /** @internal Sends a frame on the channel if it is subscribed on the current connection. */
  send(subscription: Subscription, frame: object): boolean {
    const session = this.supervisor.session;
    if (session === undefined || subscription.phaseOn(session.id) !== 'live') return false;
    return session.send(frame);
  }

  /** @internal */
  currentSessionId(): number | undefined {
    return this.supervisor.session?.id;
  }

  // ---- fallback ---------------------------------------------------------------------------------------------------

  private liveSubscriptions(): Subscription[] {
    return [...this.subscriptions.values()].filter((subscription) => subscription.spec.kind === 'live' && !subscription.closed);
  }

  /** While there are live tables and the fallback is on, checks whether the WebSocket has been gone long enough to poll. */
  private scheduleFallback(delay?: number): void {
    const after = this.fallbackAfterMs;
    if (after === undefined || this.closedForGood || this.liveSubscriptions().length === 0) return;
    if (this.fallbackTimer !== undefined && delay === undefined) return;
    const check = Math.min(this.fallbackPollMs, Math.max(after / 4, 50));
    clearTimeout(this.fallbackTimer);
    this.fallbackTimer = setTimeout(() => void this.fallbackTick(after), delay ?? check);
  }

  private async fallbackTick(after: number): Promise<void> {
    this.fallbackTimer = undefined;
    if (this.closedForGood) return;
    if (!this.supervisor.started || this.supervisor.notOpenForMs < after) {
      this.scheduleFallback(Math.min(this.fallbackPollMs, Math.max(after / 4, 50)));
      return;
    }
    await Promise.all(this.liveSubscriptions().map((subscription) => this.refreshOverHttp(subscription)));
    this.scheduleFallback(this.fallbackPollMs);
  }

  /**
   * Fallback mode: hands rows read over HTTP to a live table as a full refresh, unless a WebSocket subscription was
   * made since the read began (the stream is fresher then). The next subscribe then starts from a fresh snapshot.
   */
  private async refreshOverHttp(subscription: Subscription): Promise<void> {
    const core = subscription.consumer as LiveTableCore;
    const generation = subscription.generation;
    let rows: Row[];
    try {
      rows = await this.getRows(core.schema, core.table, core.filter === undefined ? {} : { filter: core.filter });
    } catch (error) {
      const failure = error instanceof SluiceError ? error : new SluiceError(ClientErrorCodes.FallbackFailed, String(error), { cause: error });
      this.report(new SluiceError(failure.code, `HTTP refresh of ${subscription.channel} failed: ${failure.message}`, { channel: subscription.channel, cause: error }));
      return;
    }
    if (subscription.closed || subscription.overflowed || subscription.generation !== generation) return;
    const phase = subscription.phaseOn(this.supervisor.session?.id);
    if (phase === 'pending' || phase === 'snapshotting' || phase === 'live') return;
    subscription.lastOffset = undefined;
    core.snapshot(rows, undefined, true);
  }

  // ---- errors -----------------------------------------------------------------------------------------------------

  /** @internal The reconnect backoff's delay before retry `attempt`, for other retries (a live table's reads of reduced rows). */
  retryDelay(attempt: number): number {
    return this.backoff.delay(attempt);
  }

  /** @internal Reports an error to the `error` listeners; with none, to the console (nothing is swallowed). */
  report(error: SluiceError): void {
    if (this.emitter.count('error') === 0) {
      if (!this.closedForGood) console.warn(`[sluice] ${error.code}: ${error.message}`);
      return;
    }
    this.emitter.emit('error', [error], (failure) => console.error('[sluice] an error listener threw', failure));
  }

  /** @internal */
  handlerFailed(what: string, error: unknown, channel?: string): void {
    this.report(new SluiceError(ClientErrorCodes.HandlerFailed, `${what}${channel ? ` of ${channel}` : ''} threw: ${(error as Error)?.message ?? String(error)}`, { channel, cause: error }));
  }

  private ensureNotClosed(): void {
    if (this.closedForGood) throw new SluiceError(ClientErrorCodes.Closed, 'the client was closed');
  }

  private httpBase(): string {
    if (this.options.httpUrl !== undefined) {
      const configured = new URL(this.options.httpUrl, (globalThis as { location?: { href: string } }).location?.href);
      if (!configured.pathname.endsWith('/')) configured.pathname += '/';
      return configured.toString();
    }
    const base = new URL(this.url);
    base.protocol = base.protocol === 'wss:' ? 'https:' : 'http:';
    base.search = '';
    base.hash = '';
    let path = base.pathname;
    if (path.endsWith('/realtime')) path = path.slice(0, -'realtime'.length);
    base.pathname = path.endsWith('/') ? path : `${path}/`;
    return base.toString();
  }
}

function errorOf(frame: ServerFrame): SluiceError {
  return new SluiceError(frameCode(frame), frameMessage(frame), { channel: frame.channel });
}

function positive(value: number, name: string): number {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) throw new SluiceError(ClientErrorCodes.InvalidArgument, `${name} must be a positive number of ms`);
  return value;
}

const allEvents: readonly ChangeType[] = ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];

/** `undefined` for every event (sent without `events`), else the distinct types in a fixed order. */
function normalizeEvents(events: TableOptions['events']): readonly ChangeType[] | undefined {
  if (events === undefined || events === '*') return undefined;
  const list = typeof events === 'string' ? [events] : events;
  if (list.length === 0) throw new SluiceError(ClientErrorCodes.InvalidArgument, 'events must name at least one change type');
  if (list.includes('*')) return undefined;
  for (const event of list)
    if (!allEvents.includes(event as ChangeType)) throw new SluiceError(ClientErrorCodes.InvalidArgument, `unknown change type ${event}; expected INSERT, UPDATE, DELETE, TRUNCATE or *`);
  const chosen = allEvents.filter((event) => list.includes(event));
  return chosen.length === allEvents.length ? undefined : chosen;
}

function sameSpec(a: SubscriptionSpec, b: SubscriptionSpec): boolean {
  return a.kind === b.kind && a.channel === b.channel && a.filter === b.filter && a.identity === b.identity
    && (a.events ?? allEvents).join() === (b.events ?? allEvents).join();
}

function describeSpec(spec: SubscriptionSpec): string {
  const kind = spec.kind === 'live' ? 'a live table' : spec.kind === 'room' ? 'a room' : 'a table channel';
  return `${kind}${spec.filter ? ` with filter ${spec.filter}` : ''}${spec.events ? ` for ${spec.events.join(', ')}` : ''}`;
}

/** Resolves a relative URL against the page (browsers) and turns http(s) into ws(s). */
function absoluteWebSocketUrl(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    throw new SluiceError(ClientErrorCodes.InvalidArgument, `not a URL: ${url} (expected e.g. ws://localhost:8080/realtime)`);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new SluiceError(ClientErrorCodes.InvalidArgument, `the URL must be ws://, wss://, http:// or https://, not ${url}`);
  return parsed.toString();
}

/**
 * Creates a client of the Sluice server at `url` (e.g. `ws://localhost:8080/realtime`; in a browser a relative
 * `/realtime` works too). It connects when the first channel is made.
 */
export function createClient(url: string, options: ClientOptions = {}): SluiceClient {
  return new SluiceClient(url, options);
}
