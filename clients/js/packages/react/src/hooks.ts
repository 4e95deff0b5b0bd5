import {
  parseTableChannel,
  type ConnectionStatus,
  type KeySpec,
  type LiveTable,
  type LiveTableMode,
  type PresenceChange,
  type PresenceView,
  type Room,
  type RoomMessage,
  type Row,
  type SluiceError,
} from '@sluice/client';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useSluiceClient } from './provider.js';

const noop = () => {};
const nothing = () => noop;

/** The connection status of the provider's client: `idle`, `connecting`, `open`, `reconnecting` or `closed`. */
export function useConnectionStatus(): ConnectionStatus {
  const client = useSluiceClient();
  return useSyncExternalStore(
    useMemo(() => (client === null ? nothing : (changed: () => void) => client.on('status', changed)), [client]),
    () => client?.status ?? 'idle',
    () => 'idle',
  );
}

/** Settings of {@link useLiveTable}. */
export interface UseLiveTableOptions<T, K> {
  /** The row key: a column (default `'id'`), several columns, or a stable function (module level or memoized). */
  key?: KeySpec<T, K>;
  /** Only rows matching this filter, e.g. `price=gt.100`. */
  filter?: string;
}

/** What {@link useLiveTable} returns: one consistent version of the table. */
export interface LiveTableState<T, K> {
  /** The rows (snapshot order, then inserts); a new array after every applied transaction, the same one until then. */
  readonly rows: readonly T[];
  /** The same rows by key. */
  readonly byKey: ReadonlyMap<K, T>;
  /** A complete set of rows is held (false until the first snapshot, and during a resync). */
  readonly ready: boolean;
  /** `syncing`, `streaming` or `fallback` (HTTP polling while no WebSocket can be opened). */
  readonly mode: LiveTableMode;
  /** The last error about the table (e.g. `table_not_found`), until the next snapshot. */
  readonly error: SluiceError | undefined;
}

const emptyRows: readonly never[] = Object.freeze([]);
const emptyMap: ReadonlyMap<never, never> = new Map<never, never>();
const notLoaded: LiveTableState<never, never> = Object.freeze({ rows: emptyRows, byKey: emptyMap, ready: false, mode: 'syncing', error: undefined });

/**
 * A live table kept on screen: the snapshot, then every transaction applied whole, across reconnects and server
 * restarts (nothing lost or repeated). Components using the same table (and filter and key) share one subscription;
 * React StrictMode's double effects do not subscribe twice.
 */
export function useLiveTable<T = Row, K = unknown>(schema: string, table: string, options: UseLiveTableOptions<T, K> = {}): LiveTableState<T, K> {
  const client = useSluiceClient();
  const key = options.key ?? 'id';
  const keyIdentity = typeof key === 'function' ? key : JSON.stringify(key);
  const [live, setLive] = useState<LiveTable<T, K> | undefined>(undefined);
  const keyRef = useRef(key);
  keyRef.current = key;
  useEffect(() => {
    if (client === null) return undefined;
    const handle = client.liveTable<T, K>(schema, table, { key: keyRef.current, ...(options.filter ? { filter: options.filter } : {}) });
    setLive(handle);
    return () => {
      handle.close();
      setLive((current) => (current === handle ? undefined : current));
    };
  }, [client, schema, table, options.filter, keyIdentity]);

  const store = useMemo(() => liveTableStore(live), [live]);
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

function liveTableStore<T, K>(live: LiveTable<T, K> | undefined): { subscribe: (changed: () => void) => () => void; get: () => LiveTableState<T, K> } {
  if (live === undefined) return { subscribe: nothing, get: () => notLoaded as LiveTableState<T, K> };
  let last: LiveTableState<T, K> = notLoaded as LiveTableState<T, K>;
  return {
    subscribe: (changed) => {
      const offChanges = live.subscribe(changed);
      const offErrors = live.onError(changed);
      return () => {
        offChanges();
        offErrors();
      };
    },
    get: () => {
      const rows = live.values;
      if (rows !== last.rows || live.synced !== last.ready || live.mode !== last.mode || live.error !== last.error)
        last = { rows, byKey: live.rows, ready: live.synced, mode: live.mode, error: live.error };
      return last;
    },
  };
}

/**
 * Fluxbase's `useRealtime`, gapless: `channel` is a table channel (`table:public.products`); `data` starts with the
 * table's rows (a snapshot) and follows every change, keyed by `id`, through reconnects and server restarts without
 * losing or repeating anything. `token`, when given, becomes the connection's token (sent with an `auth` frame when
 * connected: the connection is not reopened). `connected` is whether the WebSocket is open.
 */
export function useRealtime<T>(channel: string, token?: string | null): { data: T[]; connected: boolean } {
  const client = useSluiceClient();
  const { schema, table } = useMemo(() => parseTableChannel(channel), [channel]);
  // Before the table below subscribes, so the first connection already carries the token.
  useEffect(() => {
    if (client !== null && token !== undefined) void client.setToken(token ?? undefined);
  }, [client, token]);
  const { rows } = useLiveTable<T>(schema, table);
  const data = useMemo(() => [...rows], [rows]);
  return { data, connected: useConnectionStatus() === 'open' };
}

/** Settings of {@link useRoom}; the listeners may change on every render without resubscribing. */
export interface UseRoomOptions {
  /** Listeners by event name, called with the payload. */
  on?: Record<string, (payload: never, message: RoomMessage) => void>;
  /** Called for every message. */
  onMessage?: (message: RoomMessage) => void;
  /** Called when presence changes. */
  onPresence?: (change: PresenceChange) => void;
  /** Called for errors about the room (`forbidden`, `payload_too_large`, …). */
  onError?: (error: SluiceError) => void;
  /** When set, this client is tracked in the room with this state (compared by value; tracked again after reconnects). */
  track?: Record<string, unknown>;
  /** The presence key for `track` (default: the token's `sub`, else the connection). */
  trackKey?: string;
}

/**
 * Joins a room while the component is mounted; returns it once the provider's client exists (undefined before, and
 * for an undefined name). Components joining the same room share one subscription.
 */
export function useRoom(name: string | undefined, options: UseRoomOptions = {}): Room | undefined {
  const client = useSluiceClient();
  const [room, setRoom] = useState<Room | undefined>(undefined);
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    if (client === null || name === undefined) return undefined;
    const handle = client.room(name);
    const offs = [
      handle.onMessage((message) => {
        latest.current.on?.[message.event]?.(message.payload as never, message);
        latest.current.onMessage?.(message);
      }),
      handle.onPresence((change) => latest.current.onPresence?.(change)),
      handle.onError((error) => latest.current.onError?.(error)),
    ];
    setRoom(handle);
    return () => {
      for (const off of offs) off();
      handle.close();
      setRoom((current) => (current === handle ? undefined : current));
    };
  }, [client, name]);
  const trackJson = options.track === undefined ? undefined : JSON.stringify(options.track);
  useEffect(() => {
    if (room === undefined) return;
    if (trackJson !== undefined) room.track(JSON.parse(trackJson) as Record<string, unknown>, options.trackKey === undefined ? {} : { key: options.trackKey });
    else if (room.tracking) room.untrack();
  }, [room, trackJson, options.trackKey]);
  return room;
}

const noPresence: PresenceView = new Map();

/** Everyone tracked in a room (key → entries), re-rendering when it changes. Pass a room from {@link useRoom}, or a room name. */
export function usePresence(room: Room | string | undefined): PresenceView {
  const joined = useRoom(typeof room === 'string' ? room : undefined);
  const target = typeof room === 'string' ? joined : room;
  return useSyncExternalStore(
    useMemo(() => (target === undefined ? nothing : (changed: () => void) => target.onPresence(changed)), [target]),
    () => target?.presence ?? noPresence,
    () => noPresence,
  );
}
