import type { Backoff } from './backoff.js';
import { ClientErrorCodes, SluiceError } from './errors.js';
import { heartbeatFrame } from './frames.js';
import type { ConnectionStatus, WebSocketConstructor, WebSocketLike } from './types.js';

/** Close codes the client treats specially (README "Close codes"). */
export const CloseCodes = {
  /** Slow consumer: reconnect at once and resume. */
  SlowConsumer: 4008,
  /** Refused at connect (no, bad or expired token): ask for a token again. */
  Unauthorized: 4001,
  /** Reconnect later (too many connections, signing keys unavailable). */
  TryAgainLater: 1013,
  /** Rate limited: back off and send less. */
  RateLimited: 4029,
} as const;

const OPEN = 1;

/** One open WebSocket. Frames are sent as JSON text; `send` is false when the socket is no longer usable. */
export class Session {
  lastReceived = Date.now();
  lastHeartbeat = Date.now();

  constructor(
    readonly id: number,
    readonly socket: WebSocketLike,
  ) {}

  send(frame: object): boolean {
    if (this.socket.readyState !== OPEN) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }
}

/** Why a connection ended. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** What the supervisor asks of its owner (the client). */
export interface SupervisorHost {
  token(): Promise<string | undefined>;
  opened(session: Session): void;
  received(session: Session, text: string): void;
  lost(session: Session, info: CloseInfo): void;
  statusChanged(status: ConnectionStatus, previous: ConnectionStatus): void;
  error(error: SluiceError): void;
}

export interface SupervisorOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  connectTimeoutMs: number;
  backoff: Backoff;
}

/**
 * Keeps one WebSocket open until stopped: connects, watches heartbeats (a connection on which nothing arrives for
 * `heartbeatTimeoutMs` is dropped), and after every loss waits (exponential backoff with full jitter; at once after
 * close 4008; longer after 1013 and 4029) and connects again, asking for a fresh token each time.
 */
export class Supervisor {
  private statusValue: ConnectionStatus = 'idle';
  private sessionValue: Session | undefined;
  private run = 0;
  private sessionIds = 0;
  private attempt = 0;
  private throttled = 0;
  private everOpen = false;
  private connecting: WebSocketLike | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeats = 0;
  private notOpenSince = Date.now();

  constructor(
    private readonly options: SupervisorOptions,
    private readonly host: SupervisorHost,
  ) {}

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** The open connection, if any. */
  get session(): Session | undefined {
    return this.sessionValue;
  }

  /** How long there has been no open WebSocket, in ms (0 while open). */
  get notOpenForMs(): number {
    return this.statusValue === 'open' ? 0 : Date.now() - this.notOpenSince;
  }

  get started(): boolean {
    return this.statusValue !== 'idle' && this.statusValue !== 'closed';
  }

  start(): void {
    if (this.started || this.statusValue === 'closed') return;
    this.notOpenSince = Date.now();
    const run = ++this.run;
    this.everOpen = false;
    this.attempt = 0;
    this.setStatus('connecting');
    void this.connect(run);
  }

  /** Closes the connection and stops reconnecting; `terminal` makes the status `closed` for good. */
  stop(terminal: boolean): void {
    this.run++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.connecting !== undefined) {
      quietClose(this.connecting, 1000, 'client stopped');
      this.connecting = undefined;
    }
    const session = this.sessionValue;
    if (session !== undefined) {
      this.endSession(session);
      quietClose(session.socket, 1000, terminal ? 'client closed' : 'client disconnected');
      this.host.lost(session, { code: 1000, reason: 'client stopped' });
    }
    this.setStatus(terminal ? 'closed' : 'idle');
  }

  private async connect(run: number): Promise<void> {
    let token: string | undefined;
    try {
      token = await this.host.token();
    } catch (error) {
      if (run !== this.run) return;
      this.host.error(new SluiceError(ClientErrorCodes.TokenProviderFailed, `getToken failed: ${describe(error)}`, { cause: error }));
      this.retry(run, this.options.backoff.delay(this.attempt++));
      return;
    }
    if (run !== this.run) return;
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(withToken(this.options.url, token));
    } catch (error) {
      this.host.error(new SluiceError(ClientErrorCodes.ConnectFailed, `could not open a WebSocket to ${this.options.url}: ${describe(error)}`, { cause: error }));
      this.retry(run, this.options.backoff.delay(this.attempt++));
      return;
    }
    this.connecting = socket;
    const failed = (why: string) => {
      clearTimeout(timeout);
      if (this.connecting !== socket) return;
      this.connecting = undefined;
      detach(socket);
      quietClose(socket, 1000, 'connect failed');
      if (run !== this.run) return;
      const delay = this.options.backoff.delay(this.attempt++);
      this.host.error(new SluiceError(ClientErrorCodes.ConnectFailed, `could not connect to ${this.options.url}: ${why}; retrying in ${delay} ms`));
      this.retry(run, delay);
    };
    const timeout = setTimeout(() => failed(`no answer within ${this.options.connectTimeoutMs} ms`), this.options.connectTimeoutMs);
    socket.onerror = () => {
      // The close event follows and says how it ended.
    };
    socket.onclose = (event) => failed(`closed with ${event.code}${event.reason ? ` ${event.reason}` : ''}`);
    socket.onopen = () => {
      clearTimeout(timeout);
      if (this.connecting !== socket || run !== this.run) {
        detach(socket);
        quietClose(socket, 1000, 'not needed');
        return;
      }
      this.connecting = undefined;
      this.opened(socket);
    };
  }

  private opened(socket: WebSocketLike): void {
    const session = new Session(++this.sessionIds, socket);
    this.sessionValue = session;
    this.everOpen = true;
    this.attempt = 0;
    socket.onmessage = (event) => {
      if (this.sessionValue !== session) return;
      session.lastReceived = Date.now();
      const text = typeof event.data === 'string' ? event.data : decode(event.data);
      if (text === undefined) {
        this.host.error(new SluiceError(ClientErrorCodes.InvalidFrame, 'a binary frame from the server was skipped'));
        return;
      }
      this.host.received(session, text);
    };
    socket.onclose = (event) => this.lost(session, { code: event.code, reason: event.reason });
    socket.onerror = () => {
      // The close event follows.
    };
    const tick = Math.max(10, Math.min(this.options.heartbeatMs, this.options.heartbeatTimeoutMs / 4));
    this.heartbeatTimer = setInterval(() => this.checkHeartbeat(session), tick);
    this.setStatus('open');
    this.host.opened(session);
  }

  private checkHeartbeat(session: Session): void {
    if (this.sessionValue !== session) return;
    const now = Date.now();
    if (now - session.lastReceived > this.options.heartbeatTimeoutMs) {
      detach(session.socket);
      quietClose(session.socket, 4000, 'heartbeat timeout');
      this.lost(session, { code: 1006, reason: `no frame from the server within ${this.options.heartbeatTimeoutMs} ms` });
      return;
    }
    if (now - session.lastHeartbeat >= this.options.heartbeatMs) {
      session.lastHeartbeat = now;
      session.send(heartbeatFrame(`hb${++this.heartbeats}`));
    }
  }

  private lost(session: Session, info: CloseInfo): void {
    if (this.sessionValue !== session) return;
    this.endSession(session);
    this.host.lost(session, info);
    const run = this.run;
    let delay: number;
    if (info.code === CloseCodes.SlowConsumer) {
      delay = 0;
      this.throttled = 0;
    } else if (info.code === CloseCodes.TryAgainLater || info.code === CloseCodes.RateLimited) {
      // Back off for real: half the cap is always waited, and the cap grows with every such close in a row.
      const cap = this.options.backoff.cap(++this.throttled + 2);
      delay = Math.floor(cap / 2 + (cap / 2) * Math.random());
    } else {
      this.throttled = 0;
      delay = this.options.backoff.delay(this.attempt++);
    }
    this.setStatus('reconnecting');
    this.retry(run, delay);
  }

  private endSession(session: Session): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    detach(session.socket);
    if (this.sessionValue === session) this.sessionValue = undefined;
    this.notOpenSince = Date.now();
  }

  private retry(run: number, delay: number): void {
    if (run !== this.run) return;
    this.setStatus(this.everOpen ? 'reconnecting' : 'connecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (run === this.run) void this.connect(run);
    }, delay);
  }

  private setStatus(status: ConnectionStatus): void {
    const previous = this.statusValue;
    if (previous === status || previous === 'closed') return;
    this.statusValue = status;
    this.host.statusChanged(status, previous);
  }
}

function withToken(url: string, token: string | undefined): string {
  if (!token) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('token', token);
  return parsed.toString();
}

function detach(socket: WebSocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = () => {
    // A late error of a socket we let go of must not surface as an unhandled error event (ws emits them).
  };
}

function quietClose(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // Already closed or never opened.
  }
}

function decode(data: unknown): string | undefined {
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
