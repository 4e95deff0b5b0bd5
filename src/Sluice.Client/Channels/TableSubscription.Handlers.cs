using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Client.Protocol;

namespace Sluice.Client;

public sealed partial class TableSubscription
{
    private readonly HandlerList<Func<ChangeFrame, ValueTask>> _changeHandlers = new();
    private readonly HandlerList<Func<IReadOnlyList<JsonElement>, ValueTask>> _snapshotHandlers = new();
    private readonly HandlerList<Action> _closeHandlers = new();

    /// <summary>Calls <paramref name="handler"/> with each inserted row.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the new row.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnInsert<T>(Action<T> handler) => OnInsert<T>(Sync(handler));

    /// <summary>Calls <paramref name="handler"/> with each inserted row; the next change waits for the returned task.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the new row.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnInsert<T>(Func<T, Task> handler) =>
        AddChangeHandler(async change =>
        {
            if (change.Kind == ChangeKind.Insert)
                await handler(Deserialize<T>(change.Record!.Value)).ConfigureAwait(false);
        });

    /// <summary>Calls <paramref name="handler"/> with each updated row, new version first, then the old one.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the new and the old row.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnUpdate<T>(Action<T, T> handler) => OnUpdate<T>((updated, old) =>
    {
        handler(updated, old);
        return Task.CompletedTask;
    });

    /// <summary>Calls <paramref name="handler"/> with each updated row (new, old); the next change waits for the returned task.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the new and the old row.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnUpdate<T>(Func<T, T, Task> handler) =>
        AddChangeHandler(async change =>
        {
            if (change.Kind == ChangeKind.Update)
                await handler(Deserialize<T>(change.Record!.Value), Deserialize<T>(change.OldRecord!.Value)).ConfigureAwait(false);
        });

    /// <summary>Calls <paramref name="handler"/> with each deleted row (its last version).</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the deleted row.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnDelete<T>(Action<T> handler) => OnDelete<T>(Sync(handler));

    /// <summary>Calls <paramref name="handler"/> with each deleted row; the next change waits for the returned task.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the deleted row.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnDelete<T>(Func<T, Task> handler) =>
        AddChangeHandler(async change =>
        {
            if (change.Kind == ChangeKind.Delete)
                await handler(Deserialize<T>(change.OldRecord!.Value)).ConfigureAwait(false);
        });

    /// <summary>Calls <paramref name="handler"/> when the table is truncated (every row of the channel is gone).</summary>
    /// <param name="handler">Called once per TRUNCATE.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnTruncate(Action handler) =>
        AddChangeHandler(change =>
        {
            if (change.Kind == ChangeKind.Truncate)
                handler();
            return ValueTask.CompletedTask;
        });

    /// <summary>Calls <paramref name="handler"/> with every change, rows as JSON.</summary>
    /// <param name="handler">Receives the change.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnChange(Action<Change<JsonElement>> handler) => OnChange<JsonElement>(handler);

    /// <summary>Calls <paramref name="handler"/> with every change, rows as JSON; the next change waits for the returned task.</summary>
    /// <param name="handler">Receives the change.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnChange(Func<Change<JsonElement>, Task> handler) => OnChange<JsonElement>(handler);

    /// <summary>Calls <paramref name="handler"/> with every change, rows deserialized to <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the change.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnChange<T>(Action<Change<T>> handler) => OnChange<T>(Sync(handler));

    /// <summary>Calls <paramref name="handler"/> with every change; the next change waits for the returned task.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives the change.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnChange<T>(Func<Change<T>, Task> handler) =>
        AddChangeHandler(async change => await handler(Typed<T>(change)).ConfigureAwait(false));

    /// <summary>
    /// Calls <paramref name="handler"/> with the table's current rows whenever the subscription had to start over from a
    /// snapshot (after <c>resync_required</c>): replace whatever you derived from earlier changes.
    /// </summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="handler">Receives every current row.</param>
    /// <returns>Dispose to remove the handler.</returns>
    public IDisposable OnSnapshot<T>(Action<IReadOnlyList<T>> handler) =>
        _snapshotHandlers.Add(rows =>
        {
            var typed = new T[rows.Count];
            for (var i = 0; i < typed.Length; i++)
                typed[i] = Deserialize<T>(rows[i]);
            handler(typed);
            return ValueTask.CompletedTask;
        });

    /// <summary>
    /// The changes as an asynchronous stream, from now until the subscription is disposed or
    /// <paramref name="cancellationToken"/> fires. A slow reader holds up this subscription's other handlers, not the socket.
    /// </summary>
    /// <typeparam name="T">The row type (<see cref="JsonElement"/> for untyped).</typeparam>
    /// <param name="cancellationToken">Ends the stream.</param>
    public IAsyncEnumerable<Change<T>> ReadChangesAsync<T>(CancellationToken cancellationToken = default) =>
        HandlerStream.ReadAsync<Change<T>>(OnChange, _closeHandlers, State, cancellationToken);

    private IDisposable AddChangeHandler(Func<ChangeFrame, ValueTask> handler) => _changeHandlers.Add(handler);

    private static Func<T, Task> Sync<T>(Action<T> handler) => argument =>
    {
        handler(argument);
        return Task.CompletedTask;
    };
}
