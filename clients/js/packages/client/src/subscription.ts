import type { SluiceError } from './errors.js';
import type { Change, ChangeType, PresenceEntry, Row, RoomMessage } from './types.js';

/** Where a channel stands on the current connection; decides which frames are taken in. */
export type Phase =
  /** Not subscribed on the current connection (not connected yet, or the connection was lost). */
  | 'idle'
  /** A subscribe was sent; frames before its answer belong to an older subscription and are ignored. */
  | 'pending'
  /** Acknowledged with a snapshot coming: collecting snapshot frames. */
  | 'snapshotting'
  /** Changes (or room frames) are taken in. */
  | 'live'
  /** A consumer's buffer is full: frames are ignored until it catches up, then the channel resumes from its offset. */
  | 'paused'
  /** The server refused the subscription or ended it; tried again on the next connection. */
  | 'failed';

/** What a channel's frames are handed to: a table channel, a live table or a room (one per subscription). */
export interface Consumer {
  /** Called once, right after the subscription is made. */
  bind(subscription: Subscription): void;
  /** False while a bounded buffer of the consumer is full: the channel pauses instead of dropping anything. */
  canAccept(): boolean;
  snapshot(rows: Row[], offset: string | undefined, fromHttp: boolean): void;
  change(change: Change): void;
  resync(reason: string, lostAfter: string | undefined): void;
  roomMessage(message: RoomMessage): void;
  presenceState(entries: PresenceEntry[]): void;
  presenceDiff(joins: PresenceEntry[], leaves: PresenceEntry[]): void;
  /** The server acknowledged a subscribe on the current connection. */
  subscribed(): void;
  /** An error about this channel (a refusal, `subscription_invalidated`, `access_check_failed`…). */
  failed(error: SluiceError, refused: boolean): void;
  /** The subscription ended for good (closed by the app or the client). */
  closed(): void;
}

/** The settings a subscription was made with; two requests for one channel share it only when these are equal. */
export interface SubscriptionSpec {
  readonly kind: 'table' | 'live' | 'room';
  readonly channel: string;
  readonly events: readonly ChangeType[] | undefined;
  readonly filter: string | undefined;
  /** Extra identity of the consumer (a live table's key), compared by the owner. */
  readonly identity: unknown;
}

/**
 * One channel of a client: what to subscribe to, where the stream stands (`lastOffset`, the resume point), and its
 * phase on the current connection. Shared by every handle the app holds on the channel (reference counted).
 */
export class Subscription {
  phase: Phase = 'idle';
  /** The connection the phase refers to; a phase of another connection counts as idle. */
  sessionId = 0;
  pendingSnapshot = false;
  resubscribeWanted = false;
  /** After resync_required: the next subscribe asks for a snapshot even for a plain table channel. */
  forceSnapshot = false;
  /** The offset of the last change (or snapshot, or room message) taken in: where to resume. */
  lastOffset: string | undefined;
  snapshotRows: Row[] | undefined;
  /** Counts subscribes sent; an HTTP refresh begun under an older generation is stale. */
  generation = 0;
  overflowed = false;
  /** The last subscribe was refused because the token had expired; sent again once a new one is accepted. */
  refusedAsExpired = false;
  /** Transient refusals in a row (database unavailable), for the retry backoff. */
  failedAttempts = 0;
  closed = false;
  refs = 0;
  teardown: ReturnType<typeof setTimeout> | undefined;
  retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly spec: SubscriptionSpec,
    readonly consumer: Consumer,
  ) {}

  get channel(): string {
    return this.spec.channel;
  }

  get isRoom(): boolean {
    return this.spec.kind === 'room';
  }

  get wantsSnapshot(): boolean {
    return this.spec.kind === 'live';
  }

  phaseOn(sessionId: number | undefined): Phase {
    return sessionId !== undefined && this.sessionId === sessionId ? this.phase : 'idle';
  }
}
