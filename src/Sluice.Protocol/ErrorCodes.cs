namespace Sluice.Protocol;

/// <summary>Stable machine-readable codes carried in the <c>code</c> field of <c>error</c> frames.</summary>
public static class ErrorCodes
{
    /// <summary>The frame is not valid JSON or not a JSON object.</summary>
    public const string InvalidJson = "invalid_json";
    /// <summary>The frame is a binary WebSocket message; the protocol is text only.</summary>
    public const string UnsupportedFrame = "unsupported_frame";
    /// <summary>The frame has no <c>type</c>, or a required field such as <c>channel</c> is missing.</summary>
    public const string MissingField = "missing_field";
    /// <summary>A field has the wrong JSON type or an invalid value.</summary>
    public const string InvalidField = "invalid_field";
    /// <summary>The <c>type</c> is not one the server understands.</summary>
    public const string UnknownType = "unknown_type";
    /// <summary>The channel name is malformed (see the channel naming rules).</summary>
    public const string InvalidChannel = "invalid_channel";
    /// <summary>The table of a <c>table:</c> channel does not exist.</summary>
    public const string TableNotFound = "table_not_found";
    /// <summary>The table exists but realtime is not enabled for it (<c>SELECT enable_realtime(…)</c>).</summary>
    public const string RealtimeNotEnabled = "realtime_not_enabled";
    /// <summary>The <c>filter</c> cannot be parsed or does not fit the table's columns.</summary>
    public const string InvalidFilter = "invalid_filter";
    /// <summary>The <c>events</c> list contains something other than INSERT, UPDATE, DELETE or *.</summary>
    public const string InvalidEvents = "invalid_events";
    /// <summary>An <c>unsubscribe</c> named a channel this connection is not subscribed to, or a room <c>broadcast</c>/<c>presence</c> was sent without subscribing to the room.</summary>
    public const string NotSubscribed = "not_subscribed";
    /// <summary>The frame is larger than the server's maximum message size; the connection is closed with 1009.</summary>
    public const string MessageTooLarge = "message_too_large";
    /// <summary>A subscription ended because its table changed so that its filter no longer applies.</summary>
    public const string SubscriptionInvalidated = "subscription_invalidated";
    /// <summary>The <c>since</c> value is not an offset this server ever issued (malformed, or beyond the database's WAL).</summary>
    public const string InvalidOffset = "invalid_offset";
    /// <summary>The server failed while handling the frame; the connection stays usable.</summary>
    public const string InternalError = "internal_error";
    /// <summary>The server cannot reach the database right now; retry later.</summary>
    public const string DatabaseUnavailable = "database_unavailable";
    /// <summary>
    /// The token is malformed, unsigned (<c>alg: none</c>), badly signed, not yet valid, for another issuer or
    /// audience, or carries an unusable role. At connect the connection is closed with <see cref="CloseCodes.Unauthorized"/>;
    /// on a live connection the <c>auth</c> frame is refused and the connection keeps its previous state.
    /// </summary>
    public const string InvalidToken = "invalid_token";
    /// <summary>
    /// The token has expired. At connect the connection is closed with <see cref="CloseCodes.Unauthorized"/>; on a
    /// live connection delivery pauses (subscriptions are kept) until an <c>auth</c> frame brings a valid token.
    /// </summary>
    public const string TokenExpired = "token_expired";
    /// <summary>No token was given and the server does not allow anonymous connections; closed with <see cref="CloseCodes.Unauthorized"/>.</summary>
    public const string Unauthorized = "unauthorized";
    /// <summary>The server could not load its signing keys (JWKS URL unreachable); retry later. At connect: closed with <see cref="CloseCodes.TryAgainLater"/>.</summary>
    public const string AuthUnavailable = "auth_unavailable";
    /// <summary>
    /// The connection's role may not do this: subscribe to a table it may not <c>SELECT</c> from (or one with row-level
    /// security when its role cannot be assumed in the database), or a private room's rule refused the action
    /// (subscribe, publish or presence) for this connection's token.
    /// </summary>
    public const string Forbidden = "forbidden";
    /// <summary>
    /// A row-level security check could not admit changes: a policy raised an error (or the role cannot be assumed), the
    /// table no longer existed when they were checked, or the WAL did not carry a value the policies read. The changes are
    /// withheld from this subscription (fail closed) and the message says why. Sent once per transaction. In reply to a
    /// snapshot subscribe (or from <c>GET /api/tables/…/rows</c>, with 403): reading as the role raised in a policy.
    /// </summary>
    public const string AccessCheckFailed = "access_check_failed";
    /// <summary>
    /// The subscription's filter took longer than its time limit on a change (a regular expression on a large value): the
    /// change is withheld from this subscription, never guessed. Sent once per transaction, naming the offset; the
    /// subscription stays. Refetch the rows you need, or use a cheaper filter.
    /// </summary>
    public const string FilterTooCostly = "filter_too_costly";
    /// <summary>A room broadcast's <c>payload</c> or a presence <c>state</c> is larger than the server's limit.</summary>
    public const string PayloadTooLarge = "payload_too_large";
    /// <summary>A <c>subscribe</c> was refused: the connection already has the maximum number of channels. The connection stays.</summary>
    public const string TooManyChannels = "too_many_channels";
    /// <summary>
    /// The connection sends frames faster than its rate limit: frames over it were dropped, not handled (sent at most
    /// once a second). A client that keeps flooding gets it once more and is closed with <see cref="CloseCodes.RateLimited"/>.
    /// </summary>
    public const string RateLimited = "rate_limited";
    /// <summary>The client's IP address already has the maximum number of open connections; closed with <see cref="CloseCodes.TryAgainLater"/>.</summary>
    public const string TooManyConnections = "too_many_connections";
}
