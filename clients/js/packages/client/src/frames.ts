import { ClientErrorCodes, SluiceError } from './errors.js';
import type { Change, ChangeType, PresenceEntry, Row, RoomMessage } from './types.js';

/**
 * The native protocol's frames (README "Protocol", docs/rooms.md). Only this module knows field names on the wire;
 * everything else works with the parsed shapes below.
 */

/** A frame from the server, checked to be a JSON object with a string `type`. */
export interface ServerFrame {
  readonly type: string;
  readonly channel: string | undefined;
  readonly body: Record<string, unknown>;
}

/** Thrown for a frame that cannot be understood; the client reports it as `invalid_frame` and skips the frame. */
function invalid(message: string, channel?: string): SluiceError {
  return new SluiceError(ClientErrorCodes.InvalidFrame, message, { channel });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

/** Parses one text frame. `parse` is JSON.parse unless the app gave its own (e.g. to keep big integers exact). */
export function parseServerFrame(text: string, parse: (text: string) => unknown = JSON.parse): ServerFrame {
  let body: unknown;
  try {
    body = parse(text);
  } catch (error) {
    throw invalid(`a frame from the server is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(body)) throw invalid('a frame from the server is not a JSON object');
  const type = body.type;
  if (typeof type !== 'string') throw invalid('a frame from the server has no type');
  return { type, channel: optionalString(body, 'channel'), body };
}

export const frameOffset = (frame: ServerFrame): string | undefined => optionalString(frame.body, 'offset');
export const frameRef = (frame: ServerFrame): string | undefined => optionalString(frame.body, 'ref');
export const frameCode = (frame: ServerFrame): string => optionalString(frame.body, 'code') ?? 'internal_error';
export const frameMessage = (frame: ServerFrame): string =>
  optionalString(frame.body, 'error') ?? optionalString(frame.body, 'message') ?? '';

/** A row sent reduced (over the server's maximum record size): only its key columns and small values. */
export interface ReducedRow {
  /** The columns left out. */
  readonly omittedColumns: readonly string[];
  /** A filter that finds the row whole (`id=eq.7`; several conditions for a composite key); undefined when the key cannot be written as one. */
  readonly keyFilter: string | undefined;
}

/** The snapshot rows that `snapshotPart` found listed in their frame's `too_large_rows`. */
const reducedSnapshotRows = new WeakMap<Row, ReducedRow>();

/** Whether a snapshot row came reduced (listed in its frame's `too_large_rows`), and how to read it whole. */
export function reducedSnapshotRow(row: Row): ReducedRow | undefined {
  return reducedSnapshotRows.get(row);
}

/** The rows of a `snapshot` frame and whether it is the last one; rows listed in `too_large_rows` are marked (see `reducedSnapshotRow`). */
export function snapshotPart(frame: ServerFrame): { rows: Row[]; last: boolean; offset: string | undefined } {
  const rows = frame.body.rows;
  if (!Array.isArray(rows)) throw invalid('snapshot frame without a rows array', frame.channel);
  for (const row of rows) if (!isObject(row)) throw invalid('snapshot frame with a row that is not an object', frame.channel);
  const reduced = frame.body.too_large_rows;
  if (Array.isArray(reduced)) {
    const keyColumns = strings(frame.body.key_columns);
    for (const entry of reduced) {
      const index = isObject(entry) ? entry.index : undefined;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= rows.length)
        throw invalid('snapshot frame: a too_large_rows entry has no valid index', frame.channel);
      const row = rows[index] as Row;
      reducedSnapshotRows.set(row, { omittedColumns: strings((entry as Record<string, unknown>).omitted_columns), keyFilter: keyFilter(keyColumns, row) });
    }
  }
  return { rows: rows as Row[], last: frame.body.last === true, offset: frameOffset(frame) };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * `a=eq.1,b=eq."x"`: the filter (the server's syntax) that finds a row by the values of its key columns in `row`;
 * undefined when there is no key column or a value is missing or not a scalar. Strings are quoted, with a backslash
 * before quotes and backslashes, so they are taken exactly as written.
 */
export function keyFilter(keyColumns: readonly string[], row: Row | undefined): string | undefined {
  if (keyColumns.length === 0 || row === undefined) return undefined;
  const conditions: string[] = [];
  for (const column of keyColumns) {
    const value = row[column];
    let text: string;
    if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else if (typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
    else if (typeof value === 'string') text = `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    else return undefined;
    conditions.push(`${column}=eq.${text}`);
  }
  return conditions.join(',');
}

const changeTypes: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']);

/** The change carried by a table channel's `broadcast` frame. */
export function toChange(frame: ServerFrame): Change {
  const payload = frame.body.payload;
  if (!isObject(payload)) throw invalid('change frame without a payload object', frame.channel);
  const type = payload.type;
  if (typeof type !== 'string' || !changeTypes.has(type)) throw invalid(`unknown change type ${String(type)}`, frame.channel);
  const offset = frameOffset(frame);
  if (offset === undefined) throw invalid('change frame without an offset', frame.channel);
  const record = isObject(payload.record) ? (payload.record as Row) : undefined;
  const oldRecord = isObject(payload.old_record) ? (payload.old_record as Row) : undefined;
  if ((type === 'INSERT' || type === 'UPDATE') && record === undefined) throw invalid(`${type} frame without a record`, frame.channel);
  if (type === 'DELETE' && oldRecord === undefined) throw invalid('DELETE frame without an old_record', frame.channel);
  const change: Change = {
    type: type as ChangeType,
    schema: optionalString(payload, 'schema') ?? '',
    table: optionalString(payload, 'table') ?? '',
    record,
    oldRecord,
    offset,
    commitTimestamp: optionalString(frame.body, 'commit_timestamp'),
    txEnd: frame.body.tx_end === true,
  };
  if (payload.too_large !== true) return change;
  return {
    ...change,
    tooLarge: true,
    omittedColumns: strings(payload.omitted_columns),
    keyFilter: keyFilter(strings(payload.key_columns), record ?? oldRecord),
  };
}

/** The message carried by a room's `broadcast` frame. */
export function toRoomMessage(frame: ServerFrame): RoomMessage {
  const event = optionalString(frame.body, 'event');
  if (event === undefined) throw invalid('room broadcast without an event', frame.channel);
  if (!('payload' in frame.body)) throw invalid('room broadcast without a payload', frame.channel);
  const offset = frameOffset(frame);
  if (offset === undefined) throw invalid('room broadcast without an offset', frame.channel);
  return { event, payload: frame.body.payload, offset };
}

/** The presence entries of array `name` (`presences`, `joins`, `leaves`); empty when absent. */
export function presenceEntries(frame: ServerFrame, name: 'presences' | 'joins' | 'leaves'): PresenceEntry[] {
  const list = frame.body[name];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalid(`${frame.type} frame: ${name} is not an array`, frame.channel);
  return list.map((item) => {
    if (!isObject(item) || typeof item.key !== 'string') throw invalid(`${frame.type} frame: a presence entry without a key`, frame.channel);
    const state = isObject(item.state) ? item.state : {};
    return { key: item.key, ref: typeof item.ref === 'string' ? item.ref : '', state };
  });
}

// ---- client → server -------------------------------------------------------------------------------------------

export interface SubscribeFrame {
  type: 'subscribe';
  channel: string;
  events?: ChangeType[];
  filter?: string;
  since?: string;
  snapshot?: true;
}

/** A subscribe: resuming `since` an offset, or with a snapshot, or live from now. */
export function subscribeFrame(channel: string, options: { events?: readonly ChangeType[] | undefined; filter?: string | undefined; since?: string | undefined; snapshot: boolean }): SubscribeFrame {
  const frame: SubscribeFrame = { type: 'subscribe', channel };
  if (options.events !== undefined) frame.events = [...options.events];
  if (options.filter !== undefined) frame.filter = options.filter;
  if (options.since !== undefined) frame.since = options.since;
  else if (options.snapshot) frame.snapshot = true;
  return frame;
}

export const unsubscribeFrame = (channel: string) => ({ type: 'unsubscribe', channel }) as const;
/** A heartbeat with a `ref`: the server answers it with the same `ref` (an unreferenced heartbeat is never answered). */
export const heartbeatFrame = (ref: string) => ({ type: 'heartbeat', ref }) as const;
export const authFrame = (token: string) => ({ type: 'auth', token }) as const;

export function broadcastFrame(channel: string, event: string, payload: unknown, self: boolean, ack: boolean, ref: string) {
  return { type: 'broadcast', channel, event, payload, self, ack, ref } as const;
}

export function presenceFrame(channel: string, state: Record<string, unknown> | null, key: string | undefined) {
  return key === undefined ? { type: 'presence', channel, state } : { type: 'presence', channel, state, key };
}
