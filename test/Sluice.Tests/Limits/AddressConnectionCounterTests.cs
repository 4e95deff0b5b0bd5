using System.Net;
using Sluice.Server.Limits;

namespace Sluice.Tests.Limits;

public sealed class AddressConnectionCounterTests
{
    private static readonly IPAddress Alice = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Bob = IPAddress.Parse("2001:db8::1");

    [Fact]
    public void Refuses_one_more_than_the_limit_and_admits_again_after_a_release()
    {
        var counter = new AddressConnectionCounter(2);
        using var first = counter.TryAcquire(Alice);
        var second = counter.TryAcquire(Alice);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(counter.TryAcquire(Alice));
        Assert.Equal(2, counter.CountOf(Alice));

        second!.Dispose();
        Assert.Equal(1, counter.CountOf(Alice));
        using var third = counter.TryAcquire(Alice);
        Assert.NotNull(third);
        Assert.Null(counter.TryAcquire(Alice));
    }

    [Fact]
    public void Addresses_are_counted_separately_and_forgotten_at_zero()
    {
        var counter = new AddressConnectionCounter(1);
        var alice = counter.TryAcquire(Alice);
        var bob = counter.TryAcquire(Bob);
        Assert.NotNull(alice);
        Assert.NotNull(bob);
        Assert.Equal(2, counter.AddressCount);
        alice!.Dispose();
        bob!.Dispose();
        Assert.Equal(0, counter.AddressCount);
    }

    [Fact]
    public void Disposing_a_lease_twice_releases_once()
    {
        var counter = new AddressConnectionCounter(3);
        var first = counter.TryAcquire(Alice)!;
        using var second = counter.TryAcquire(Alice);
        first.Dispose();
        first.Dispose();
        Assert.Equal(1, counter.CountOf(Alice));
    }

    [Fact]
    public void An_IPv4_address_mapped_to_IPv6_counts_as_the_IPv4_address()
    {
        var counter = new AddressConnectionCounter(1);
        using var lease = counter.TryAcquire(Alice.MapToIPv6());
        Assert.NotNull(lease);
        Assert.Null(counter.TryAcquire(Alice));
        Assert.Equal(1, counter.CountOf(Alice.MapToIPv6()));
    }

    [Fact]
    public void A_connection_without_an_address_is_not_counted()
    {
        var counter = new AddressConnectionCounter(1);
        using var first = counter.TryAcquire(null);
        using var second = counter.TryAcquire(null);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(first!.Address);
        Assert.Equal(0, counter.AddressCount);
    }

    [Fact]
    public async Task Concurrent_attempts_admit_exactly_the_limit()
    {
        const int limit = 37;
        const int threads = 8;
        const int attemptsPerThread = 50;
        var counter = new AddressConnectionCounter(limit);
        using var start = new Barrier(threads);
        var tasks = Enumerable.Range(0, threads).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            var held = new List<AddressLease>();
            for (var i = 0; i < attemptsPerThread; i++)
            {
                if (counter.TryAcquire(Alice) is { } lease)
                    held.Add(lease);
            }
            return held;
        })).ToArray();

        var leases = (await Task.WhenAll(tasks)).SelectMany(held => held).ToList();
        Assert.Equal(limit, leases.Count);
        Assert.Equal(limit, counter.CountOf(Alice));

        await Task.WhenAll(leases.Select(lease => Task.Run(lease.Dispose)));
        Assert.Equal(0, counter.CountOf(Alice));
        Assert.Equal(0, counter.AddressCount);
    }

    [Fact]
    public async Task Concurrent_connect_and_close_never_exceed_the_limit_and_end_at_zero()
    {
        const int limit = 5;
        var counter = new AddressConnectionCounter(limit);
        var open = 0;
        var most = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                using var lease = counter.TryAcquire(Alice);
                if (lease is null)
                    continue;
                var now = Interlocked.Increment(ref open);
                InterlockedMax(ref most, now);
                Interlocked.Decrement(ref open);
            }
        })));
        Assert.InRange(most, 1, limit);
        Assert.Equal(0, counter.CountOf(Alice));
        Assert.Equal(0, counter.AddressCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    [Fact]
    public void Rejects_a_limit_below_one() => Assert.Throws<ArgumentOutOfRangeException>(() => new AddressConnectionCounter(0));
}
