using System.Net.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Server.Auth;
using Sluice.Server.Connections;
using Sluice.Server.Log;
using Sluice.Server.Routing;

namespace Sluice.Tests.Auth;

/// <summary>The expiry timer of a connection's token, driven by a manual clock.</summary>
public sealed class ConnectionAuthTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Start);
    private readonly SubscriptionRouter _router = new(new ChangeLog(new LogEpoch("00000001"), new RetentionLimits(10, long.MaxValue, TimeSpan.FromHours(1))));
    private readonly ClientConnection _connection = new(WebSocket.CreateFromStream(new MemoryStream(), isServer: true, null, Timeout.InfiniteTimeSpan), 100, 1 << 20, NullLogger.Instance);

    private static ConnectionIdentity Token(DateTimeOffset expires, string role = "authenticated") =>
        new(role, $$"""{"role":"{{role}}","sub":"u"}""", "u", expires);

    private ConnectionAuth Auth(ConnectionIdentity identity) => new(_connection, identity, _router, TimeSpan.FromSeconds(5), _clock);

    [Fact]
    public void The_timer_pauses_delivery_at_exp_plus_the_clock_skew()
    {
        using var auth = Auth(Token(Start.AddMinutes(1)));
        Assert.Equal(TimeSpan.FromSeconds(65), Assert.Single(_clock.Timers).Due);

        _clock.Advance(TimeSpan.FromSeconds(64));
        Assert.False(auth.CheckExpired());
        Assert.False(_connection.DeliveryPaused);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_connection.DeliveryPaused);
        Assert.True(auth.CheckExpired());
    }

    [Fact]
    public void A_refresh_resumes_delivery_and_the_old_tokens_timer_no_longer_counts()
    {
        var first = Token(Start.AddMinutes(1));
        using var auth = Auth(first);
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(_connection.DeliveryPaused);

        var second = Token(Start.AddMinutes(10), role: "editor");
        auth.Refresh(second);
        Assert.False(_connection.DeliveryPaused);
        Assert.False(auth.CheckExpired());
        Assert.Same(second, _connection.Identity);

        _clock.FireAll(); // a stale callback of the first token's timer must not pause the second
        Assert.False(_connection.DeliveryPaused);
        _clock.Advance(TimeSpan.FromMinutes(9));
        Assert.True(_connection.DeliveryPaused);
    }

    [Fact]
    public void An_expiry_the_timer_has_not_reported_yet_is_noticed_by_CheckExpired()
    {
        using var auth = Auth(Token(Start.AddMinutes(1)));
        _clock.SetWithoutFiring(Start.AddMinutes(5));
        Assert.True(auth.CheckExpired());
        Assert.True(_connection.DeliveryPaused);
    }

    [Fact]
    public void Anonymous_connections_never_expire_and_a_disposed_auth_never_pauses()
    {
        using (var anonymous = Auth(ConnectionIdentity.Anonymous("anon")))
        {
            Assert.Empty(_clock.Timers);
            _clock.SetWithoutFiring(Start.AddYears(1));
            Assert.False(anonymous.CheckExpired());
        }

        var auth = Auth(Token(Start.AddYears(1).AddMinutes(1)));
        auth.Dispose();
        _clock.Advance(TimeSpan.FromDays(1));
        _clock.FireAll();
        Assert.False(_connection.DeliveryPaused);
    }

    /// <summary>A clock that moves only when told, with timers that fire when it passes their due time.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public List<ManualTimer> Timers { get; } = [];

        public override DateTimeOffset GetUtcNow() => _now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(callback, state, dueTime, _now + dueTime);
            Timers.Add(timer);
            return timer;
        }

        public void Advance(TimeSpan by)
        {
            _now += by;
            foreach (var timer in Timers.ToArray())
            {
                if (!timer.Disposed && timer.At <= _now)
                    timer.Fire();
            }
        }

        public void SetWithoutFiring(DateTimeOffset now) => _now = now;

        /// <summary>Runs every callback ever registered, disposed or not (as a callback already in flight would).</summary>
        public void FireAll()
        {
            foreach (var timer in Timers.ToArray())
                timer.Fire();
        }
    }

    private sealed class ManualTimer(TimerCallback callback, object? state, TimeSpan due, DateTimeOffset at) : ITimer
    {
        public TimeSpan Due { get; } = due;
        public DateTimeOffset At { get; } = at;
        public bool Disposed { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException();

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
