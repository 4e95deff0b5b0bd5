using System.Diagnostics;

namespace Sluice.Server.Observability;

/// <summary>
/// The names a hosting app subscribes to: the meter of Sluice's metrics (<c>AddMeter(SluiceTelemetry.MeterName)</c>) and the
/// activity source of its spans (<c>AddSource(SluiceTelemetry.ActivitySourceName)</c>), see docs/hosting.md, "Metrics and
/// tracing", and docs/operations.md, "Tracing". Spans cover what a user traces (a table subscription's steps, a snapshot
/// read, a room join, an HTTP broadcast), never a delivered change; their tags carry names and outcomes, never tokens,
/// claims or row values.
/// </summary>
public static class SluiceTelemetry
{
    /// <summary>The meter of every Sluice server instrument (created from the host's <c>IMeterFactory</c>).</summary>
    public const string MeterName = "Sluice.Server";

    /// <summary>The activity source of Sluice's spans.</summary>
    public const string ActivitySourceName = "Sluice.Server";

    /// <summary>Span: lookup, realtime enabled, filter and row-level security decision of a table subscription.</summary>
    public const string ResolveSpan = "sluice.table.resolve";

    /// <summary>Span: a table subscription starts live.</summary>
    public const string LiveSpan = "sluice.table.live";

    /// <summary>Span: a resume is prepared (epoch and offset checked, the retained changes it replays judged).</summary>
    public const string CatchUpSpan = "sluice.table.catch_up";

    /// <summary>Span: a prepared resume replays the retained changes and goes live.</summary>
    public const string ResumeSpan = "sluice.table.resume";

    /// <summary>Span: a subscription with a snapshot (the read, the wait for the change stream, the catch-up) goes live.</summary>
    public const string SnapshotSpan = "sluice.table.snapshot";

    /// <summary>Span: a snapshot's rows are read (for a subscription or the rows endpoint).</summary>
    public const string SnapshotReadSpan = "sluice.snapshot.read";

    /// <summary>Span: a connection joins a room.</summary>
    public const string RoomJoinSpan = "sluice.room.join";

    /// <summary>Span: messages published into rooms over HTTP (<c>POST /api/broadcast</c>).</summary>
    public const string BroadcastSpan = "sluice.broadcast";

    /// <summary>Tag: the table, <c>schema.table</c>.</summary>
    public const string TableTag = "sluice.table";

    /// <summary>Tag: the protocol of the connection (<c>native</c>, <c>supabase</c>).</summary>
    public const string ProtocolTag = "sluice.protocol";

    /// <summary>Tag: how the operation ended (snake_case, e.g. <c>live</c>, <c>forbidden</c>, <c>resync_required</c>).</summary>
    public const string OutcomeTag = "sluice.outcome";

    /// <summary>Tag: why a resync is required (<c>other_epoch</c>, <c>history_gone</c>, <c>snapshot_outlived</c>).</summary>
    public const string ResyncReasonTag = "sluice.resync.reason";

    /// <summary>Tag: whether the subscription has a row filter (not the filter: it may hold values).</summary>
    public const string FilteredTag = "sluice.filtered";

    /// <summary>Tag: whether a room join resumes after an offset (<c>since</c>).</summary>
    public const string ResumedTag = "sluice.resumed";

    /// <summary>Tag: the number of rows a snapshot read.</summary>
    public const string RowsTag = "sluice.snapshot.rows";

    /// <summary>Tag: the room.</summary>
    public const string RoomTag = "sluice.room";

    /// <summary>Tag: the number of messages an HTTP broadcast carried.</summary>
    public const string MessagesTag = "sluice.broadcast.messages";

    /// <summary>The source; <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null while nobody listens.</summary>
    internal static ActivitySource Source { get; } = new(ActivitySourceName, typeof(SluiceTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts a span of a table subscription's step (<paramref name="name"/>) with the table and (for a client connection) its protocol; null while nobody
    /// listens (nothing allocated).
    /// </summary>
    internal static Activity? StartTableStep(string name, Routing.ISubscriberSink connection, string schema, string table)
    {
        var activity = Source.StartActivity(name);
        if (activity is null)
            return null;
        activity.SetTag(TableTag, schema + "." + table);
        if (connection is Connections.ClientConnection client)
            activity.SetTag(ProtocolTag, client.Protocol.Name);
        return activity;
    }

    /// <summary>Tags <paramref name="activity"/> with a table subscription step's outcome (and why a resync is required).</summary>
    internal static Routing.TableSubscribeOutcome Ended(Activity? activity, Routing.TableSubscribeOutcome outcome)
    {
        if (activity is not null)
        {
            activity.SetTag(OutcomeTag, OutcomeName(outcome.Result));
            if (outcome.Resync != Routing.ResyncReason.None)
                activity.SetTag(ResyncReasonTag, outcome.Resync switch
                {
                    Routing.ResyncReason.OtherEpoch => "other_epoch",
                    Routing.ResyncReason.HistoryGone => "history_gone",
                    _ => "snapshot_outlived",
                });
        }
        return outcome;
    }

    /// <summary>The outcome tag of a table subscription step.</summary>
    internal static string OutcomeName(Routing.TableSubscribeResult result) => result switch
    {
        Routing.TableSubscribeResult.NotFound => "not_found",
        Routing.TableSubscribeResult.NotEnabled => "not_enabled",
        Routing.TableSubscribeResult.InvalidFilter => "invalid_filter",
        Routing.TableSubscribeResult.Forbidden => "forbidden",
        Routing.TableSubscribeResult.InvalidOffset => "invalid_offset",
        Routing.TableSubscribeResult.Ready => "ready",
        Routing.TableSubscribeResult.Live => "live",
        Routing.TableSubscribeResult.Resumed => "resumed",
        Routing.TableSubscribeResult.ResyncRequired => "resync_required",
        Routing.TableSubscribeResult.SnapshotSent => "snapshot_sent",
        _ => "unknown",
    };

    /// <summary>The outcome tag of a room join.</summary>
    internal static string OutcomeName(Rooms.RoomOutcome outcome) => outcome switch
    {
        Rooms.RoomOutcome.Ok => "joined",
        Rooms.RoomOutcome.NotSubscribed => "not_subscribed",
        Rooms.RoomOutcome.InvalidOffset => "invalid_offset",
        Rooms.RoomOutcome.OtherEpoch => "other_epoch",
        Rooms.RoomOutcome.HistoryGone => "history_gone",
        Rooms.RoomOutcome.UnknownOffset => "unknown_offset",
        _ => "unknown",
    };

    /// <summary>
    /// Marks <paramref name="activity"/> failed by <paramref name="exception"/>: its type only (a message may quote data);
    /// a cancellation (the client went away, the server stops) is tagged <c>canceled</c>, not an error.
    /// False, for an exception filter that lets the exception through: <c>catch (Exception ex) when (Failed(activity, ex))</c>.
    /// </summary>
    internal static bool Failed(Activity? activity, Exception exception)
    {
        if (activity is null)
            return false;
        if (exception is OperationCanceledException)
        {
            activity.SetTag(OutcomeTag, "canceled");
            return false;
        }
        activity.SetTag("error.type", exception.GetType().FullName);
        activity.SetStatus(ActivityStatusCode.Error);
        return false;
    }
}
