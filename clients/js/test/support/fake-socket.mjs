// A scripted stand-in for the server side of WebSockets, for unit tests of the client's state machine: every socket
// the client opens is recorded; the test opens it, pushes server frames, reads what the client sent, and closes it.
export class FakeWebSocket {
  static instances = [];
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;

  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    this.sent = [];
    this.closedWith = undefined;
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
    FakeWebSocket.instances.push(this);
  }

  static reset() {
    FakeWebSocket.instances = [];
  }

  static get last() {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  /** Sockets neither closed by the client nor by the server. */
  static get live() {
    return FakeWebSocket.instances.filter((socket) => socket.readyState !== FakeWebSocket.CLOSED);
  }

  send(data) {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000, reason = '') {
    if (this.readyState === FakeWebSocket.CLOSED) return;
    this.readyState = FakeWebSocket.CLOSED;
    this.closedWith = { code, reason, by: 'client' };
    this.onclose?.({ code, reason });
  }

  // ---- the server's side ----

  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.({});
  }

  receive(frame) {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  serverClose(code = 1006, reason = '') {
    if (this.readyState === FakeWebSocket.CLOSED) return;
    this.readyState = FakeWebSocket.CLOSED;
    this.closedWith = { code, reason, by: 'server' };
    this.onclose?.({ code, reason });
  }

  /** Frames of a type the client sent on this socket. */
  frames(type) {
    return this.sent.filter((frame) => frame.type === type);
  }
}

/** Lets pending promise callbacks (the client's awaits) run. */
export const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A frame builder for table changes. */
export function change(channel, offset, type, record, old, txEnd = true) {
  const payload = { type, table: channel.split('.')[1], schema: 'public' };
  if (record !== undefined) payload.record = record;
  if (old !== undefined) payload.old_record = old;
  return { type: 'broadcast', channel, offset, commit_timestamp: '2025-01-31T12:00:00.123456Z', payload, ...(txEnd ? { tx_end: true } : {}) };
}
