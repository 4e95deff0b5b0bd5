import type { PresenceEntry, PresenceView } from './types.js';

/** What changed in a room's presence, as {@link Room.onPresence} reports it. */
export interface PresenceChange<S = Record<string, unknown>> {
  /** Entries that joined (an update is a leave of the old entry and a join of the new one). */
  readonly joins: readonly PresenceEntry<S>[];
  readonly leaves: readonly PresenceEntry<S>[];
  /** Everyone tracked in the room now. */
  readonly presence: PresenceView<S>;
  /** A full `presence_state` replaced the view (after every (re)subscribe); joins and leaves are the difference. */
  readonly sync: boolean;
}

const same = (a: PresenceEntry, b: PresenceEntry) => a.key === b.key && a.ref === b.ref;

function freeze(groups: Map<string, PresenceEntry[]>): PresenceView {
  const view = new Map<string, readonly PresenceEntry[]>();
  for (const [key, entries] of groups) if (entries.length > 0) view.set(key, Object.freeze([...entries]));
  return view;
}

/** A full `presence_state` replaces the view; the change lists what differs from the previous view. Pure. */
export function applyPresenceState(previous: PresenceView, entries: readonly PresenceEntry[]): PresenceChange {
  const leaves: PresenceEntry[] = [];
  for (const list of previous.values()) for (const entry of list) if (!entries.some((e) => same(e, entry))) leaves.push(entry);
  const joins = entries.filter((entry) => !(previous.get(entry.key) ?? []).some((e) => same(e, entry)));
  const groups = new Map<string, PresenceEntry[]>();
  for (const entry of entries) {
    const list = groups.get(entry.key);
    if (list === undefined) groups.set(entry.key, [entry]);
    else list.push(entry);
  }
  return { joins, leaves, presence: freeze(groups), sync: true };
}

/**
 * A `presence_diff` applied to the view: leaves (by key and ref) first, then joins; a join of an entry already held
 * (same key and ref) replaces it. Returns undefined when nothing changed (a leave of an entry never seen). Pure.
 */
export function applyPresenceDiff(previous: PresenceView, joins: readonly PresenceEntry[], leaves: readonly PresenceEntry[]): PresenceChange | undefined {
  const groups = new Map<string, PresenceEntry[]>();
  for (const [key, list] of previous) groups.set(key, [...list]);
  const left: PresenceEntry[] = [];
  const remove = (entry: PresenceEntry) => {
    const list = groups.get(entry.key);
    const index = list?.findIndex((e) => e.ref === entry.ref) ?? -1;
    if (list === undefined || index < 0) return;
    left.push(list[index]!);
    list.splice(index, 1);
  };
  for (const leave of leaves) remove(leave);
  for (const join of joins) {
    remove(join);
    const list = groups.get(join.key);
    if (list === undefined) groups.set(join.key, [join]);
    else list.push(join);
  }
  if (left.length === 0 && joins.length === 0) return undefined;
  return { joins, leaves: left, presence: freeze(groups), sync: false };
}
