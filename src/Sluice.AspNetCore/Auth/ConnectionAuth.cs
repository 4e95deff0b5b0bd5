using Sluice.Server.Connections;
using Sluice.Server.Routing;

namespace Sluice.Server.Auth;

/// <summary>
/// A connection's token over time. When the token expires (at <c>exp</c> plus the clock skew) delivery pauses:
/// the client gets <c>token_expired</c>, its subscriptions stay, and nothing more is delivered until an <c>auth</c>
/// frame brings a valid token; then every subscription continues right after the last change it delivered.
/// </summary>
internal sealed class ConnectionAuth : IDisposable
{
    /// <summary>Longest a timer is armed for; a later expiry is re-checked when it fires.</summary>
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(1);

    private readonly Lock _gate = new();
    private readonly ClientConnection _connection;
    private readonly SubscriptionRouter _router;
    private readonly TimeSpan _clockSkew;
    private readonly TimeProvider _time;
    private readonly Rooms.RoomRegistry? _rooms;
    private ITimer? _timer;
    private volatile bool _expired;
    private bool _disposed;

    public ConnectionAuth(ClientConnection connection, ConnectionIdentity identity, SubscriptionRouter router, TimeSpan clockSkew,
        TimeProvider? time = null, Rooms.RoomRegistry? rooms = null)
    {
        _connection = connection;
        _router = router;
        _rooms = rooms;
        _clockSkew = clockSkew;
        _time = time ?? TimeProvider.System;
        lock (_gate)
        {
            connection.Identity = identity;
            Arm(identity);
        }
    }

    /// <summary>The connection's current identity.</summary>
    public ConnectionIdentity Identity => _connection.Identity;

    /// <summary>
    /// Whether the token has expired and delivery is paused. Looks at the clock too, so an expiry the timer has
    /// not reported yet pauses delivery now.
    /// </summary>
    public bool CheckExpired()
    {
        if (!_expired && Deadline(_connection.Identity) is { } deadline && _time.GetUtcNow() >= deadline)
            Expire(_connection.Identity);
        return _expired;
    }

    /// <summary>
    /// Replaces the identity with a freshly validated one, queues <c>auth_ok</c>, and resumes delivery if it was paused.
    /// A token of another role or with other claims may see other rows: its table subscriptions end with
    /// <c>resync_required</c> (to be subscribed again, with a snapshot, under the new claims).
    /// </summary>
    public void Refresh(ConnectionIdentity identity)
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _timer?.Dispose();
            _timer = null;
            var claimsChanged = _connection.Identity.ClaimSetKey != identity.ClaimSetKey;
            _connection.Identity = identity;
            _expired = false;
            if (claimsChanged)
                _router.EndForNewIdentity(_connection);
            _router.ResumeDelivery(_connection, _connection.Protocol.TokenAccepted(identity));
            _rooms?.Reauthorize(_connection, identity);
            Arm(identity);
        }
    }

    private DateTimeOffset? Deadline(ConnectionIdentity identity) => identity.ExpiresAt + _clockSkew;

    private void Arm(ConnectionIdentity identity)
    {
        if (Deadline(identity) is not { } deadline)
            return;
        var due = deadline - _time.GetUtcNow();
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due > MaxTimerDue ? MaxTimerDue : due;
        _timer = _time.CreateTimer(static state =>
        {
            var (auth, identity) = ((ConnectionAuth, ConnectionIdentity))state!;
            auth.OnTimer(identity);
        }, (this, identity), due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer(ConnectionIdentity identity)
    {
        lock (_gate)
        {
            if (_disposed || !ReferenceEquals(_connection.Identity, identity) || _expired)
                return;
            if (Deadline(identity) is { } deadline && _time.GetUtcNow() < deadline)
            {
                _timer?.Dispose();
                Arm(identity);
                return;
            }
            ExpireLocked();
        }
    }

    private void Expire(ConnectionIdentity identity)
    {
        lock (_gate)
        {
            if (!_disposed && !_expired && ReferenceEquals(_connection.Identity, identity))
                ExpireLocked();
        }
    }

    private void ExpireLocked()
    {
        _expired = true;
_router.PauseDelivery(_connection, _connection.Protocol.TokenExpired());
        _rooms?.PauseDelivery(_connection);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
