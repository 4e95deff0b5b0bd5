import type { ChannelHost } from './client.js';
import { ClientErrorCodes, SluiceError } from './errors.js';
import { presenceFrame } from './frames.js';
import { maxEventLength, maxPresenceKeyLength } from './names.js';
import { applyPresenceDiff, applyPresenceState, type PresenceChange } from './presence.js';
import { BoundedQueue } from './queue.js';
import { closedError, Readiness } from './readiness.js';
import type { Consumer, Subscription } from './subscription.js';
import type { ResyncInfo } from './table.js';
import type { PresenceEntry, PresenceView, RoomMessage } from './types.js';

/** Options of {@link Room.broadcast}. */
export interface BroadcastOptions {
  /** Wait for the server's `broadcast_ack` and resolve with the message's offset; a refusal rejects with its code. Default false. */
  ack?: boolean;
  /** Deliver the message to this client too. Default false. */
  self?: boolean;
}

interface Tracked {
  state: Record<string, unknown>;
  key: string | undefined;
  owner: Room;
}

const emptyPresence: PresenceView = new Map();

/** The shared state of one room: presence view, tracked state, and the handles listening. */
export class RoomCore implements Consumer {
  readonly handles = new Set<Room>();
  readonly readiness = new Readiness();
  subscription!: Subscription;
  presence: PresenceView = emptyPresence;
  tracked: Tracked | undefined;
  /** The connection a tracked state was last sent on (0 for none). */
  private presenceSentOn = 0;
  /** Offsets of this client's messages sent without self, dropped if a resume replays them. */
  private readonly ownOffsets = new Set<string>();

  constructor(
    readonly host: ChannelHost,
    readonly name: string,
  ) {}

  bind(subscription: Subscription): void {
    this.subscription = subscription;
  }

  waitSubscribed(): Promise<void> {
    return this.readiness.wait(this.subscription, this.host.currentSessionId());
  }

  canAccept(): boolean {
    for (const handle of this.handles) if (!handle.canAccept()) return false;
    return true;
  }

  roomMessage(message: RoomMessage): void {
    // This client's own message sent without self, replayed by a resume: not for it.
    if (this.ownOffsets.delete(message.offset)) return;
    for (const handle of [...this.handles]) handle.deliver(message);
  }

  /** The server acknowledged a message this client published without `self` (kept for the last 1000 such messages). */
  sentWithoutSelf(offset: string): void {
    this.ownOffsets.add(offset);
    if (this.ownOffsets.size > 1000) this.ownOffsets.delete(this.ownOffsets.values().next().value!);
  }

  presenceState(entries: PresenceEntry[]): void {
    const change = applyPresenceState(this.presence, entries);
    this.presence = change.presence;
    for (const handle of [...this.handles]) handle.deliverPresence(change);
  }

  presenceDiff(joins: PresenceEntry[], leaves: PresenceEntry[]): void {
    const change = applyPresenceDiff(this.presence, joins, leaves);
    if (change === undefined) return;
    this.presence = change.presence;
    for (const handle of [...this.handles]) handle.deliverPresence(change);
  }

  resync(reason: string, lostAfter: string | undefined): void {
    for (const handle of [...this.handles]) handle.deliverResync({ reason, lostAfter });
  }

  snapshot(): void {}
  change(): void {}

  subscribed(): void {
    this.readiness.subscribed();
    // Tracked again after every (re)subscribe: the server forgot this connection's presence with the old connection.
    this.sendPresence();
  }

  failed(error: SluiceError, refused: boolean): void {
    if (refused) this.readiness.refused(error);
    for (const handle of [...this.handles]) handle.deliverError(error);
  }

  closed(): void {
    this.readiness.fail(closedError(this.subscription.channel));
    this.tracked = undefined;
    this.presence = emptyPresence;
    for (const handle of [...this.handles]) handle.end();
  }

  /** Sends the tracked state (or the untrack) if the room is subscribed on the current connection. */
  sendPresence(): void {
    const sessionId = this.host.currentSessionId();
    if (sessionId === undefined) return;
    if (this.tracked !== undefined) {
      if (this.host.send(this.subscription, presenceFrame(this.subscription.channel, this.tracked.state, this.tracked.key))) this.presenceSentOn = sessionId;
    } else if (this.presenceSentOn === sessionId) {
      this.host.send(this.subscription, presenceFrame(this.subscription.channel, null, undefined));
      this.presenceSentOn = 0;
    }
  }
}

/**
 * A room (channel `room:<name>`), made with {@link SluiceClient.room}: publish with {@link broadcast}, receive with
 * {@link on} / {@link onMessage} / `for await`, see who is there with {@link track}, {@link presence} and
 * {@link onPresence}. After a reconnect the room resumes after the last message it received; when the server's room
 * history no longer reaches back (`resync_required`) it continues from the present and {@link onResync} says that
 * messages were lost. A tracked state is tracked again after every reconnect.
 */
export class Room implements AsyncIterable<RoomMessage> {
  readonly name: string;
  readonly channel: string;
  private readonly listeners = new Map<string, Set<(payload: never, message: RoomMessage) => void>>();
  private readonly messageListeners = new Set<(message: RoomMessage) => void>();
  private readonly presenceListeners = new Set<(change: PresenceChange) => void>();
  private readonly resyncListeners = new Set<(info: ResyncInfo) => void>();
  private readonly errorListeners = new Set<(error: SluiceError) => void>();
  private readonly queues = new Set<BoundedQueue<RoomMessage>>();
  private open = true;

  /** @internal */
  constructor(
    private readonly host: ChannelHost,
    private readonly subscription: Subscription,
    private readonly core: RoomCore,
  ) {
    this.name = core.name;
    this.channel = subscription.channel;
    core.handles.add(this);
  }

  /** Everyone tracked in the room, as last told by the server: key → entries. An immutable version per change. */
  get presence(): PresenceView {
    return this.core.presence;
  }

  /** Where a reconnect resumes: the offset of the last message received (or the room's start offset). */
  get lastOffset(): string | undefined {
    return this.subscription.lastOffset;
  }

  /** Resolves once the room is subscribed on the current connection; rejects with the server's code (e.g. `forbidden`) when refused. */
  subscribed(): Promise<void> {
    return this.core.waitSubscribed();
  }

  /** Calls `listener` with the payload of every message of this event. Returns the function that removes it. */
  on<P = unknown>(event: string, listener: (payload: P, message: RoomMessage<P>) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never, message: RoomMessage) => void);
    return () => set.delete(listener as (payload: never, message: RoomMessage) => void);
  }

  /** Calls `listener` for every message, whatever its event. */
  onMessage(listener: (message: RoomMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Calls `listener` when presence changes (a diff, or a full state after every (re)subscribe with `sync: true`). */
  onPresence(listener: (change: PresenceChange) => void): () => void {
    this.presenceListeners.add(listener);
    return () => this.presenceListeners.delete(listener);
  }

  /** Calls `listener` when messages were lost: the room's history no longer reached back to `lostAfter`. */
  onResync(listener: (info: ResyncInfo) => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  /** Calls `listener` for every error about this room (`forbidden`, `payload_too_large`, …). */
  onError(listener: (error: SluiceError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Publishes a message to everyone in the room (and to this client with `self`). Waits until the room is
   * subscribed. With `ack` it resolves with the message's offset, and rejects with the server's code when refused
   * (`payload_too_large`, `forbidden`, …) or with `connection_lost` when the connection dropped before the answer (the
   * message may or may not have been published). Without `ack` it resolves once sent; refusals go to the error listeners.
   */
  broadcast(event: string, payload: unknown, options: BroadcastOptions = {}): Promise<string | undefined> {
    if (!this.open) return Promise.reject(closedError(this.channel));
    if (typeof event !== 'string' || event.length === 0 || event.length > maxEventLength)
      return Promise.reject(new SluiceError(ClientErrorCodes.InvalidArgument, `an event name has 1 to ${maxEventLength} characters`, { channel: this.channel }));
    return this.host.publish(this.subscription, this.core, event, payload === undefined ? null : payload, options.ack === true, options.self === true);
  }

  /**
   * Tracks this client in the room with `state` (a JSON object), or updates it. Kept: sent now if the room is
   * subscribed, else as soon as it is, and again after every reconnect, until {@link untrack} or {@link close}.
   * `key` names the entry (default: the token's `sub`, else the connection).
   */
  track(state: Record<string, unknown>, options: { key?: string } = {}): void {
    if (!this.open) throw closedError(this.channel);
    if (typeof state !== 'object' || state === null || Array.isArray(state))
      throw new SluiceError(ClientErrorCodes.InvalidArgument, 'a presence state must be a JSON object', { channel: this.channel });
    const key = options.key;
    if (key !== undefined && (key.length === 0 || key.length > maxPresenceKeyLength))
      throw new SluiceError(ClientErrorCodes.InvalidArgument, `a presence key has 1 to ${maxPresenceKeyLength} characters`, { channel: this.channel });
    const current = this.core.tracked;
    this.core.tracked = { state, key, owner: this };
    // The same state again (a remounted component tracking what it tracked) changes nothing on the server.
    if (current !== undefined && current.key === key && JSON.stringify(current.state) === JSON.stringify(state)) return;
    this.core.sendPresence();
  }

  /** Whether this handle's {@link track} is the room's tracked state. */
  get tracking(): boolean {
    return this.core.tracked?.owner === this;
  }

  /** Stops tracking this client in the room (and stops tracking it again after reconnects). */
  untrack(): void {
    if (this.core.tracked === undefined) return;
    this.core.tracked = undefined;
    this.core.sendPresence();
  }

  /** The messages as an async iterator (bounded like table iterators: a consumer far behind pauses the room, then it resumes with `since`). */
  messages(): AsyncIterableIterator<RoomMessage> {
    const queue = new BoundedQueue<RoomMessage>(
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

  [Symbol.asyncIterator](): AsyncIterator<RoomMessage> {
    return this.messages();
  }

  /** Leaves the room (this handle): untracks what it tracked; the server subscription ends when no handle holds it. */
  close(): void {
    if (!this.open) return;
    this.end();
    if (this.core.tracked?.owner === this) {
      // Untracked after the current task unless another handle took the state over (a React StrictMode remount):
      // leaving and joining again would show everyone a presence flicker.
      const core = this.core;
      setTimeout(() => {
        if (core.tracked?.owner === this) {
          core.tracked = undefined;
          core.sendPresence();
        }
      }, 0);
    }
    this.host.release(this.subscription);
  }

  /** @internal */
  canAccept(): boolean {
    for (const queue of this.queues) if (queue.full) return false;
    return true;
  }

  /** @internal */
  deliver(message: RoomMessage): void {
    if (!this.open) return;
    const set = this.listeners.get(message.event);
    if (set !== undefined) for (const listener of [...set]) this.call(() => listener(message.payload as never, message), 'a message listener');
    for (const listener of [...this.messageListeners]) this.call(() => listener(message), 'a message listener');
    for (const queue of this.queues) queue.push(message);
  }

  /** @internal */
  deliverPresence(change: PresenceChange): void {
    if (!this.open) return;
    for (const listener of [...this.presenceListeners]) this.call(() => listener(change), 'a presence listener');
  }

  /** @internal */
  deliverResync(info: ResyncInfo): void {
    if (!this.open) return;
    for (const listener of [...this.resyncListeners]) this.call(() => listener(info), 'a resync listener');
  }

  /** @internal */
  deliverError(error: SluiceError): void {
    if (!this.open) return;
    for (const listener of [...this.errorListeners]) this.call(() => listener(error), 'an error listener');
  }

  /** @internal */
  end(): void {
    if (!this.open) return;
    this.open = false;
    this.core.handles.delete(this);
    for (const queue of this.queues) queue.end();
    this.queues.clear();
    this.host.resumeAfterOverflow(this.subscription);
  }

  private call(body: () => unknown, what: string): void {
    try {
      const result = body();
      if (result instanceof Promise) result.catch((error: unknown) => this.host.handlerFailed(what, error, this.channel));
    } catch (error) {
      this.host.handlerFailed(what, error, this.channel);
    }
  }
}
