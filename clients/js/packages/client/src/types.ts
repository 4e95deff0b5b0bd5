/** A row as JSON: column name → value (numbers, strings, booleans, null, objects and arrays for json and array columns). */
export type Row = Record<string, unknown>;

/** The kinds of change a table channel delivers. */
export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';

/** One committed row change, in commit order. */
export interface Change<T = Row> {
  readonly type: ChangeType;
  readonly schema: string;
  readonly table: string;
  /** The new row (INSERT, UPDATE). */
  readonly record: T | undefined;
  /** The row before the change (UPDATE, DELETE); absent on an UPDATE whose old row the subscriber may not see. */
  readonly oldRecord: T | undefined;
  /** Opaque, strictly increasing in commit order; the same on every connection and across server restarts. */
  readonly offset: string;
  /** The transaction's commit time (ISO-8601, UTC), when the server sent it. */
  readonly commitTimestamp: string | undefined;
  /** The last change of its transaction on this channel. */
  readonly txEnd: boolean;
  /**
   * The row was over the server's maximum record size: `record`/`oldRecord` hold only its key columns and small values.
   * Read it whole with `client.getRows(schema, table, { filter: keyFilter })` (a live table does this for you).
   */
  readonly tooLarge?: true;
  /** With `tooLarge`: the columns left out of `record`/`oldRecord`. */
  readonly omittedColumns?: readonly string[];
  /** With `tooLarge`: the filter that finds the row by its key (`id=eq.7`); undefined when the table has no usable key. */
  readonly keyFilter?: string | undefined;
}

/** The state of a client's connection. */
export type ConnectionStatus =
  /** Not connecting: nothing subscribed yet, or `disconnect()` was called. */
  | 'idle'
  /** The first connection is being made. */
  | 'connecting'
  /** The WebSocket is open; channels are (re)subscribed. */
  | 'open'
  /** The connection was lost or could not be made; retrying with backoff. */
  | 'reconnecting'
  /** `close()` was called. Terminal. */
  | 'closed';

/** A presence entry of a room: who (`key`), which tracking connection (`ref`), and the state it tracked. */
export interface PresenceEntry<S = Record<string, unknown>> {
  readonly key: string;
  readonly ref: string;
  readonly state: S;
}

/** Everyone tracked in a room: key → entries (one key may have several, e.g. one user on two devices). */
export type PresenceView<S = Record<string, unknown>> = ReadonlyMap<string, readonly PresenceEntry<S>[]>;

/** A message published in a room. */
export interface RoomMessage<P = unknown> {
  readonly event: string;
  readonly payload: P;
  /** The room's offset of the message (strictly increasing within a server run). */
  readonly offset: string;
}

/** The minimal WebSocket the client needs: the browser's, Node 22's global one, or `ws`'s on Node 20. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor (`globalThis.WebSocket`, or `WebSocket` from the `ws` package). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;
