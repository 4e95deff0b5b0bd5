/**
 * Error codes the server sends in `error` frames (README "Error codes" and docs/rooms.md). Stable strings: compare
 * `error.code` with them, never the message.
 */
export const ServerErrorCodes = {
  InvalidJson: 'invalid_json',
  UnsupportedFrame: 'unsupported_frame',
  MissingField: 'missing_field',
  InvalidField: 'invalid_field',
  UnknownType: 'unknown_type',
  InvalidChannel: 'invalid_channel',
  TableNotFound: 'table_not_found',
  RealtimeNotEnabled: 'realtime_not_enabled',
  InvalidFilter: 'invalid_filter',
  InvalidEvents: 'invalid_events',
  InvalidOffset: 'invalid_offset',
  NotSubscribed: 'not_subscribed',
  PayloadTooLarge: 'payload_too_large',
  SubscriptionInvalidated: 'subscription_invalidated',
  MessageTooLarge: 'message_too_large',
  DatabaseUnavailable: 'database_unavailable',
  InternalError: 'internal_error',
  Unauthorized: 'unauthorized',
  InvalidToken: 'invalid_token',
  TokenExpired: 'token_expired',
  AuthUnavailable: 'auth_unavailable',
  Forbidden: 'forbidden',
  AccessCheckFailed: 'access_check_failed',
  TooManyChannels: 'too_many_channels',
  RateLimited: 'rate_limited',
  TooManyConnections: 'too_many_connections',
} as const;

/** Codes of problems the client reports itself (never sent by the server). */
export const ClientErrorCodes = {
  /** A handler (change, snapshot, status, presence, subscribe callback) threw or rejected; delivery goes on. */
  HandlerFailed: 'handler_failed',
  /** A frame from the server could not be understood and was skipped. */
  InvalidFrame: 'invalid_frame',
  /** An async iterator's buffer filled up: the channel pauses and later resumes from its last offset (nothing is lost). */
  BufferOverflow: 'buffer_overflow',
  /** An HTTP read of the fallback mode failed; it is tried again at the next poll. */
  FallbackFailed: 'fallback_failed',
  /** The connection was lost before a room broadcast was sent or acknowledged: it may or may not have been published. */
  ConnectionLost: 'connection_lost',
  /** A WebSocket could not be opened (network, refused upgrade, timeout); the client retries with backoff. */
  ConnectFailed: 'connect_failed',
  /** No WebSocket implementation: pass `WebSocket` (e.g. from the `ws` package on Node 20). */
  WebSocketUnavailable: 'websocket_unavailable',
  /** `getToken` threw or rejected; the connection attempt is retried with backoff. */
  TokenProviderFailed: 'token_provider_failed',
  /** The server asked for a new token (token_expired, close 4001) and there was none to give. */
  TokenRefreshFailed: 'token_refresh_failed',
  /** This client already has that channel with other settings (the server keeps one subscription per channel and connection). */
  ChannelInUse: 'channel_in_use',
  /** An argument is not valid (a room name, an event name, a presence state that is not an object…). */
  InvalidArgument: 'invalid_argument',
  /** The channel or client was closed. */
  Closed: 'closed',
} as const;

export type ServerErrorCode = (typeof ServerErrorCodes)[keyof typeof ServerErrorCodes];
export type ClientErrorCode = (typeof ClientErrorCodes)[keyof typeof ClientErrorCodes];
/** Every code a {@link SluiceError} can carry; unknown future server codes come through as plain strings. */
export type SluiceErrorCode = ServerErrorCode | ClientErrorCode | (string & {});

/** An error from the server (with its `code`) or from the client itself (one of {@link ClientErrorCodes}). */
export class SluiceError extends Error {
  /** The stable code, e.g. `table_not_found` or `connection_lost`. */
  readonly code: SluiceErrorCode;
  /** The channel the error is about, when there is one (`table:public.products`, `room:lobby`). */
  readonly channel: string | undefined;

  constructor(code: SluiceErrorCode, message: string, options?: { channel?: string | undefined; cause?: unknown }) {
    super(message);
    this.name = 'SluiceError';
    this.code = code;
    this.channel = options?.channel;
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}
