using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;
using Sluice.Protocol;

namespace Sluice.Client;

/// <summary>
/// A subscription to a table channel, made with <see cref="SluiceClient.Table"/>. Register handlers with
/// <see cref="OnInsert{T}(Action{T})"/>, <see cref="OnUpdate{T}(Action{T, T})"/>, <see cref="OnDelete{T}(Action{T})"/>,
/// <see cref="OnChange(Action{Change{JsonElement}})"/>, or read <see cref="ReadChangesAsync{T}"/>. Handlers run one
/// change at a time in commit order on the subscription's dispatcher, never on the socket reader. After a reconnect the
/// subscription resumes after the last change it received, so nothing is missed; when the server can no longer resume
/// it (<c>resync_required</c>) it subscribes again with a snapshot and hands the rows to
/// <see cref="OnSnapshot{T}(Action{IReadOnlyList{T}})"/> handlers. Dispose to unsubscribe.
/// </summary>
/// <remarks>Before its first change a subscription resumes from the offset in the server's <c>ack</c>, so changes made
/// while it was disconnected are replayed too.</remarks>
public sealed partial class TableSubscription : IChannelConsumer, IAsyncDisposable, IDisposable
{
    private readonly SluiceClient _client;
    private readonly ISluiceSerializer _serializer;

    internal TableSubscription(SluiceClient client, TableChannel channel, string? filter, ChangeEvents events, ISluiceSerializer serializer)
    {
        _client = client;
        _serializer = serializer;
        Schema = channel.Schema;
        Table = channel.Table;
        Channel = channel.ToString();
        Filter = filter;
        Events = events;
    }

    /// <summary>The table's schema.</summary>
    public string Schema { get; }

    /// <summary>The table's name.</summary>
    public string Table { get; }

    /// <summary>The channel name, <c>table:{schema}.{table}</c>.</summary>
    public string Channel { get; }

    /// <summary>The row filter, or null for every row.</summary>
    public string? Filter { get; }

    /// <summary>The change types delivered.</summary>
    public ChangeEvents Events { get; }

    /// <summary>Where a reconnect resumes: the offset of the last change received, or before the first the offset
    /// from the subscription's <c>ack</c>; null until subscribed.</summary>
    public string? LastOffset
    {
        get
        {
            lock (State.Gate)
                return State.LastOffset;
        }
    }

    internal ChannelState State { get; set; } = null!;

    /// <summary>
    /// Stops delivery at once (no handler call begins after this returns its task) and unsubscribes on the server; the
    /// task completes once the unsubscribe was sent and a handler call still running has finished (unless called from a
    /// handler of this subscription, which is not waited for). Handlers of <see cref="ReadChangesAsync{T}"/> streams end.
    /// </summary>
    public Task UnsubscribeAsync() => _client.CloseChannelAsync(State, sendUnsubscribe: true);

    /// <summary>Same as <see cref="UnsubscribeAsync"/>: stops delivery at once, then waits for the unsubscribe to be sent
    /// and for a running handler call to finish.</summary>
    public async ValueTask DisposeAsync() => await UnsubscribeAsync().ConfigureAwait(false);

    /// <summary>
    /// Stops delivery at once: once this returns, no handler call begins (neither the next handler of the change being
    /// delivered nor the next change), and change streams yield nothing more. A handler call already running on the
    /// dispatcher finishes on its own; this does not wait for it. The unsubscribe is sent in the background; use
    /// <see cref="DisposeAsync"/> to wait for it (and for the running handler).
    /// </summary>
    public void Dispose() => _ = UnsubscribeAsync();

    async ValueTask IChannelConsumer.ConsumeAsync(ChannelItem item)
    {
        switch (item)
        {
            case ChangeItem change:
                foreach (var handler in _changeHandlers.Items)
                    await InvokeAsync(handler, change.Change).ConfigureAwait(false);
                break;
            case SnapshotItem snapshot:
                foreach (var handler in _snapshotHandlers.Items)
                    await InvokeAsync(handler, snapshot.Rows).ConfigureAwait(false);
                break;
        }
    }

    void IChannelConsumer.OnClosed()
    {
        foreach (var onClosed in _closeHandlers.Items)
            onClosed();
    }

    private async ValueTask InvokeAsync<TArg>(Func<TArg, ValueTask> handler, TArg argument)
    {
        if (!Delivery.IsOpen(State))
            return;
        try
        {
            await handler(argument).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            _client.ReportError(ClientErrorCodes.DeserializationFailed, ex.Message, Channel, ex);
        }
        catch (Exception ex)
        {
            _client.ReportError(ClientErrorCodes.HandlerFailed, $"a handler of {Channel} threw: {ex.Message}", Channel, ex);
        }
    }

    private Change<T> Typed<T>(ChangeFrame change) => new(
        change.Kind,
        change.Schema,
        change.Table,
        change.Record is { } record ? Deserialize<T>(record) : default,
        change.OldRecord is { } old ? Deserialize<T>(old) : default,
        change.Offset,
        change.CommitTimestamp,
        change.TransactionEnd)
    {
        IsTooLarge = change.TooLarge,
        OmittedColumns = change.OmittedColumns,
        KeyFilter = change.KeyFilter,
    };

    private T Deserialize<T>(JsonElement row) =>
        typeof(T) == typeof(JsonElement) ? (T)(object)row : _serializer.Deserialize<T>(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(row));
}
