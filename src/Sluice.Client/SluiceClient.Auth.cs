using Sluice.Client.Channels;
using Sluice.Client.Protocol;
using Sluice.Protocol;

namespace Sluice.Client;

public sealed partial class SluiceClient
{
    /// <summary>The token the current connection was opened or last refreshed with.</summary>
    private string? _tokenInUse;

    private int _refreshing;

    /// <summary>
    /// Sends a fresh token from <see cref="SluiceClientOptions.AccessTokenProvider"/> on the live connection (the
    /// server's <c>auth</c> frame), e.g. shortly before the current one expires. The client also does this by itself
    /// when the server reports <c>token_expired</c>; delivery then resumes exactly where it paused.
    /// </summary>
    /// <returns>False when there is no connection, or no token different from the one in use.</returns>
    public async Task<bool> RefreshAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        var session = Volatile.Read(ref _session);
        if (session is null)
            return false;
        var token = await AccessTokenAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(token) || token == Volatile.Read(ref _tokenInUse))
            return false;
        Volatile.Write(ref _tokenInUse, token);
        await session.SendAsync(ClientFrames.Auth(token), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The server paused delivery because the token expired: fetch a new one and send it, once at a time.</summary>
    private void OnTokenExpired()
    {
        if (Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                if (!await RefreshAccessTokenAsync().ConfigureAwait(false))
                    ReportError(ErrorCodes.TokenExpired,
                        "the access token expired and the token provider gave no new one; delivery stays paused until RefreshAccessTokenAsync sends one", null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ReportError(ErrorCodes.TokenExpired, $"refreshing the expired access token failed: {ex.Message}", null);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    /// <summary>A new token was accepted: subscribe again the channels refused while it was expired.</summary>
    private void OnAuthAccepted(Connection.SocketSession session)
    {
        foreach (var state in _channels.Values)
        {
            bool refused;
            lock (state.Gate)
                refused = !state.Closed && state.SessionId == session.Id && state.Phase == ChannelPhase.Idle && state.RefusedAsExpired;
            if (refused)
                _ = SubscribeAsync(state);
        }
    }
}
