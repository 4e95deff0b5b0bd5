using System.Diagnostics;
using Sluice.Server.Auth;
using Sluice.Server.Capture;
using Sluice.Server.Connections;
using Sluice.Server.Filters;
using Sluice.Server.Log;
using Sluice.Server.Observability;
using Sluice.Server.Snapshots;

namespace Sluice.Server.Routing;

/// <summary>
/// The table-subscription use case, the same for every protocol: resolve (lookup, realtime enabled, filter, row-level
/// security decision about one relation), then start the subscription live, resume it after an offset, or send a snapshot
/// and go live from it. It owns the router's interest protocol: a subscription's access group is acquired before its
/// catch-up is judged, and released (<see cref="Release"/>) if the subscription did not become the connection's, whatever
/// happened in between. Each step returns a <see cref="TableSubscribeOutcome"/> the protocol maps to its frames.
/// </summary>
internal sealed class TableSubscriptions(SubscriptionServices services)
{
    private static readonly TimeSpan SnapshotCatchUpTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Looks up <paramref name="schema"/>.<paramref name="table"/> and decides the connection's access, about one relation even
    /// when the table is replaced meanwhile (see <see cref="RowSecurity.TableAccessResolver"/>), and binds the filter to it.
    /// </summary>
    public async Task<TableSubscribeOutcome> ResolveAsync(ClientConnection connection, string schema, string table, string? filterText,
        CancellationToken cancellationToken)
    {
        using var activity = SluiceTelemetry.StartTableStep(SluiceTelemetry.ResolveSpan, connection, schema, table);
        activity?.SetTag(SluiceTelemetry.FilteredTag, filterText is not null);
        try
        {
            return SluiceTelemetry.Ended(activity, await ResolveCoreAsync(connection, schema, table, filterText, cancellationToken));
        }
        catch (Exception ex) when (SluiceTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private async Task<TableSubscribeOutcome> ResolveCoreAsync(ClientConnection connection, string schema, string table, string? filterText,
        CancellationToken cancellationToken)
    {
        // Until the log is current, "live from now" would start inside what the server re-reads from the slot.
        await services.StartupCatchUp.WaitAsync(cancellationToken);
        var (lookup, access) = await services.Tables.ResolveAsync(schema, table, connection.Identity, cancellationToken);
        if (lookup.Table is null)
            return TableSubscribeOutcome.Of(TableSubscribeResult.NotFound);
        if (!lookup.RealtimeEnabled)
            return TableSubscribeOutcome.Of(TableSubscribeResult.NotEnabled);
        RowFilter? filter = null;
        if (filterText is not null && !RowFilter.TryParse(filterText, lookup.Table, out filter, out var filterError))
            return new TableSubscribeOutcome(TableSubscribeResult.InvalidFilter, filterError);
        if (!access.Allowed)
            return new TableSubscribeOutcome(TableSubscribeResult.Forbidden, access.Refusal);
        return new TableSubscribeOutcome(TableSubscribeResult.Ready) { Table = lookup.Table, Filter = filter, AssumeRole = access.AssumeRole };
    }

    /// <summary>
    /// Starts the subscription live from the next transaction, queueing its format's start frame with the offset;
    /// <see cref="TableSubscribeResult.Live"/> with that offset.
    /// </summary>
    public TableSubscribeOutcome GoLive(Subscription subscription)
    {
        using var activity = StartStep(SluiceTelemetry.LiveSpan, subscription);
        try
        {
            services.Router.Subscribe(subscription);
        }
        finally
        {
            Release(subscription);
        }
        return SluiceTelemetry.Ended(activity, new TableSubscribeOutcome(TableSubscribeResult.Live, services.Log.Format(subscription.ResumeAfter)));
    }

    /// <summary>
    /// Prepares a resume after <paramref name="since"/> of epoch <paramref name="sinceEpoch"/>: acquires the subscription's
    /// interest and judges the retained changes it will replay. <see cref="TableSubscribeResult.Ready"/> (then
    /// <see cref="FinishResume"/>, and <see cref="Release"/> in any case), or a resync (another epoch) or an invalid offset
    /// (never issued), with nothing acquired.
    /// </summary>
    public async Task<TableSubscribeOutcome> PrepareResumeAsync(Subscription subscription, ChangeOffset since, string? sinceEpoch,
        CancellationToken cancellationToken)
    {
        using var activity = StartStep(SluiceTelemetry.CatchUpSpan, subscription);
        try
        {
            return SluiceTelemetry.Ended(activity, await PrepareResumeCoreAsync(subscription, since, sinceEpoch, cancellationToken));
        }
        catch (Exception ex) when (SluiceTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private async Task<TableSubscribeOutcome> PrepareResumeCoreAsync(Subscription subscription, ChangeOffset since, string? sinceEpoch,
        CancellationToken cancellationToken)
    {
        if (sinceEpoch != services.Log.Epoch.Value)
            return TableSubscribeOutcome.NeedsResync(ResyncReason.OtherEpoch);
        if (await services.IsNeverIssuedAsync(since, cancellationToken))
            return TableSubscribeOutcome.Of(TableSubscribeResult.InvalidOffset);
        services.Router.Acquire(subscription);
        await services.RowAccess.PrepareCatchUpAsync(subscription, since, visibility: null, cancellationToken);
        return TableSubscribeOutcome.Of(TableSubscribeResult.Ready);
    }

    /// <summary>
    /// Resumes a prepared subscription after <paramref name="since"/>: <paramref name="ack"/> (if any), the retained changes,
    /// then live ones; a resync when that history has left the retention window, or when <paramref name="epoch"/> is given and
    /// the log started over in another epoch since <paramref name="since"/> was read (nothing registered).
    /// </summary>
    public TableSubscribeOutcome FinishResume(Subscription subscription, ChangeOffset since, byte[]? ack, string? epoch = null)
    {
        using var activity = StartStep(SluiceTelemetry.ResumeSpan, subscription);
        return SluiceTelemetry.Ended(activity, services.Router.Resume(subscription, since, ack, epoch)
            ? TableSubscribeOutcome.Of(TableSubscribeResult.Resumed)
            : TableSubscribeOutcome.NeedsResync(ResyncReason.HistoryGone));
    }

    /// <summary>Prepares and finishes a resume in one step, releasing what it acquired.</summary>
    public async Task<TableSubscribeOutcome> ResumeAsync(Subscription subscription, ChangeOffset since, string? sinceEpoch, byte[]? ack,
        CancellationToken cancellationToken)
    {
        try
        {
            var prepared = await PrepareResumeAsync(subscription, since, sinceEpoch, cancellationToken);
            return prepared.Result == TableSubscribeResult.Ready ? FinishResume(subscription, since, ack, sinceEpoch) : prepared;
        }
        finally
        {
            Release(subscription);
        }
    }

    /// <summary>
    /// Replaces any subscription of the connection on the channel, queues <paramref name="ack"/>, reads the table's rows (as
    /// <paramref name="readAs"/> when given) as frames made by <paramref name="chunkFrame"/>, waits until the log holds every
    /// transaction the snapshot may contain, then queues the last chunk as <paramref name="finalFrame"/> makes it with the
    /// snapshot's offset, the changes the snapshot does not contain, and goes live. A resync when those changes have left the
    /// retention window meanwhile. <see cref="TimeoutException"/> when the change stream does not catch up in time.
    /// <paramref name="connection"/> is the subscription's connection: the rows are queued to it as the reader produces them,
    /// as fast as it sends them.
    /// </summary>
    public async Task<TableSubscribeOutcome> SnapshotAsync(ClientConnection connection, Subscription subscription, TableSchema table, RowFilter? filter,
        ConnectionIdentity? readAs, byte[] ack, Func<SnapshotChunk, byte[]> chunkFrame, Func<SnapshotChunk, string, byte[]> finalFrame,
        CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(connection, subscription.Connection))
            throw new ArgumentException("the snapshot is read for the subscription's own connection", nameof(connection));
        using var activity = StartStep(SluiceTelemetry.SnapshotSpan, subscription);
        try
        {
            services.Router.Unsubscribe(connection, subscription.Channel, confirmation: null);
            connection.TryEnqueue(ack);
            // From here on every dispatched change carries this group's verdict.
            services.Router.Acquire(subscription);

            var snapshot = await services.Snapshots.ReadAsync(table, filter, readAs, connection, chunkFrame, cancellationToken);
            await CatchUpToSnapshotAsync(subscription, snapshot.Visibility, cancellationToken);

            return SluiceTelemetry.Ended(activity, services.Router.CompleteSnapshot(subscription, snapshot.Visibility, offset => finalFrame(snapshot.FinalChunk, offset))
                ? TableSubscribeOutcome.Of(TableSubscribeResult.SnapshotSent)
                : TableSubscribeOutcome.NeedsResync(ResyncReason.SnapshotOutlived));
        }
        catch (Exception ex) when (SluiceTelemetry.Failed(activity, ex))
        {
            throw;
        }
        finally
        {
            Release(subscription);
        }
    }

    /// <summary>
    /// Prepares a subscription to go on from a snapshot the caller reads itself (such as <see cref="StoredBroadcastReader"/>'s):
    /// acquires its interest, so every change dispatched from now on carries its group's verdict. Call before the snapshot is
    /// taken; then <see cref="CatchUpToSnapshotAsync"/>, <see cref="CompleteFromSnapshot"/>, and <see cref="Release"/> in any case.
    /// </summary>
    public void AcquireForSnapshot(Subscription subscription) => services.Router.Acquire(subscription);

    /// <summary>
    /// Waits until the log holds every transaction the snapshot may contain (it commits before the snapshot's end position),
    /// and prepares the catch-up's access checks. <see cref="TimeoutException"/> when the change stream does not catch up in time.
    /// </summary>
    public async Task CatchUpToSnapshotAsync(Subscription subscription, SnapshotVisibility visibility, CancellationToken cancellationToken)
    {
        var caughtUp = services.Router.WaitForCommitAsync(visibility.EndLsn);
        await services.Heartbeat.EmitAsync(cancellationToken);
        await caughtUp.WaitAsync(SnapshotCatchUpTimeout, cancellationToken);
        await services.RowAccess.PrepareCatchUpAsync(subscription, default, visibility, cancellationToken);
    }

    /// <summary>
    /// Starts a prepared subscription exactly after the snapshot of <paramref name="visibility"/>: queues the frames
    /// <paramref name="firstFrames"/> makes with the offset the snapshot is consistent with, then the logged changes the
    /// snapshot does not contain, then live ones. A resync (nothing registered) when those changes have left the retention
    /// window meanwhile.
    /// </summary>
    public TableSubscribeOutcome CompleteFromSnapshot(Subscription subscription, SnapshotVisibility visibility, Func<string, IReadOnlyList<byte[]>> firstFrames)
    {
        using var activity = StartStep(SluiceTelemetry.ResumeSpan, subscription);
        return SluiceTelemetry.Ended(activity, services.Router.CompleteSnapshot(subscription, visibility, firstFrames)
            ? TableSubscribeOutcome.Of(TableSubscribeResult.SnapshotSent)
            : TableSubscribeOutcome.NeedsResync(ResyncReason.SnapshotOutlived));
    }

    private static Activity? StartStep(string name, Subscription subscription)
    {
        var activity = SluiceTelemetry.StartTableStep(name, subscription.Connection, subscription.Table.Schema, subscription.Table.Table);
        activity?.SetTag(SluiceTelemetry.FilteredTag, subscription.FilterText is not null);
        return activity;
    }

    /// <summary>Releases the interest of a subscription that did not become the connection's subscription of its channel.</summary>
    public void Release(Subscription subscription) => services.Router.ReleaseIfInactive(subscription);
}
