using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;
using Npgsql;
using Sluice.Server.Limits;
using Sluice.Server.RowSecurity;

namespace Sluice.Server.Connections;

/// <summary>
/// The receive loop every protocol session shares: read a frame within the size limit, admit it through the rate limit,
/// parse it and dispatch it, and map a failure while handling it to one <see cref="SessionFailure"/>; the loop ends when the
/// client closes or goes away, or the connection closes. A protocol (under <c>Protocols/</c>) only parses and translates:
/// it says what a too-large frame, a frame over the rate or a failure becomes in its frames.
/// </summary>
/// <typeparam name="TMessage">The protocol's parsed client message.</typeparam>
internal abstract class ProtocolSession<TMessage>(WebSocket socket, int maxMessageBytes)
    where TMessage : class
{
    /// <summary>The connection the session reads for.</summary>
    protected abstract ClientConnection Connection { get; }

    /// <summary>The connection's frame rate limiter.</summary>
    protected abstract FrameRateLimiter RateLimiter { get; }

    /// <summary>The largest frame accepted.</summary>
    protected int MaxMessageBytes { get; } = maxMessageBytes;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var reader = new ClientMessageReader(socket, MaxMessageBytes);
        OnStarted();
        try
        {
            while (!Connection.IsClosing)
            {
                var read = await reader.ReadAsync(cancellationToken);
                OnReceived();
                switch (read)
                {
                    case ClientRead.Closed:
                        return;
                    case ClientRead.TooLarge:
                        await OnTooLargeAsync(reader);
                        return;
                }
                var admission = RateLimiter.Admit();
                if (admission != FrameAdmission.Admitted)
                {
                    if (await OnOverRateAsync(admission, reader))
                        return;
                    continue;
                }
                if (TryParse(reader.Message, reader.MessageType, out var message))
                    await DispatchAsync(message, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ConnectionAbortedException)
        {
            // The client went away.
        }
        finally
        {
            await OnEndedAsync();
        }
    }

    /// <summary>
    /// Handles <paramref name="message"/>, mapping what goes wrong to <see cref="OnFailure"/>: a database that cannot be
    /// queried, a row-level security check that failed, a change stream that did not catch up in time, or a bug.
    /// </summary>
    protected async Task HandleGuardedAsync(TMessage message, Func<TMessage, CancellationToken, Task> handle, CancellationToken cancellationToken)
    {
        try
        {
            await handle(message, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            OnFailure(message, SessionFailure.CatchUpTimedOut, ex);
        }
        catch (AccessCheckFailedException ex)
        {
            OnFailure(message, SessionFailure.AccessCheckFailed, ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or AccessCheckUnavailableException)
        {
            OnFailure(message, SessionFailure.DatabaseUnavailable, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            OnFailure(message, SessionFailure.Internal, ex);
        }
    }

    /// <summary>Before the first read.</summary>
    protected virtual void OnStarted()
    {
    }

    /// <summary>After every read, whatever it brought.</summary>
    protected virtual void OnReceived()
    {
    }

    /// <summary>The frame exceeded <see cref="MaxMessageBytes"/>: tell the client and close (the loop ends).</summary>
    protected abstract Task OnTooLargeAsync(ClientMessageReader reader);

    /// <summary>The frame was not admitted (dropped); true when the connection is closed for it (the loop ends).</summary>
    protected abstract Task<bool> OnOverRateAsync(FrameAdmission admission, ClientMessageReader reader);

    /// <summary>Parses an admitted frame; false (after telling the client, if the protocol does) when it is not a message.</summary>
    protected abstract bool TryParse(ReadOnlyMemory<byte> frame, WebSocketMessageType type, [MaybeNullWhen(false)] out TMessage message);

    /// <summary>Handles a parsed message (usually through <see cref="HandleGuardedAsync"/>).</summary>
    protected abstract Task DispatchAsync(TMessage message, CancellationToken cancellationToken);

    /// <summary>Handling <paramref name="message"/> failed: log it and tell the client in the protocol's terms.</summary>
    protected abstract void OnFailure(TMessage message, SessionFailure failure, Exception exception);

    /// <summary>After the loop, however it ended.</summary>
    protected virtual Task OnEndedAsync() => Task.CompletedTask;
}

/// <summary>What went wrong while a session handled a message.</summary>
internal enum SessionFailure
{
    /// <summary>The change stream did not catch up with a snapshot in time.</summary>
    CatchUpTimedOut,
    /// <summary>Reading rows as the subscriber's role failed (its policy or role): see <see cref="AccessCheckFailedException"/>.</summary>
    AccessCheckFailed,
    /// <summary>The database could not be queried.</summary>
    DatabaseUnavailable,
    /// <summary>Anything else: a bug.</summary>
    Internal,
}
