using System.Diagnostics;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Filters;

/// <summary>
/// No filter may delay anyone else (issue 16): anonymous subscribers with LIKE / ILIKE patterns of nearly 1,000
/// characters against megabyte values must leave another subscriber's delivery unaffected. Measured as how many frames
/// the other subscriber has before a deadline far beyond what the changes need, not as a speed.
/// </summary>
public sealed class HostileFilterTests(PostgresFixture postgres) : ServerTest(postgres)
{
    /// <summary>Far more than routing these changes takes; with backtracking LIKE they cost about a second per filter and megabyte.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static readonly string[] HostileFilters =
    [
        "content=like.%" + new string('a', 980) + "b",
        "content=ilike.%" + new string('a', 979) + "b",
        "content=like.%" + new string('a', 979) + "b%",
        "content=ilike.%" + new string('a', 490) + new string('_', 488) + "b%",
    ];

    [Fact]
    public async Task Hostile_like_filters_on_megabyte_values_leave_other_subscribers_unaffected()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, content text");
        var hostile = new List<TestClient>();
        for (var i = 0; i < 12; i++)
        {
            var client = await ConnectAsync();
            await client.SubscribeAsync("table:public.docs", filter: HostileFilters[i % HostileFilters.Length]);
            hostile.Add(client);
        }
        var observer = await ConnectAsync();
        await observer.SubscribeAsync("table:public.docs", filter: "id=gt.0");

        const int big = 3, small = 20;
        for (var id = 1; id <= big; id++)
            await Database.ExecuteAsync("INSERT INTO docs VALUES ($1, repeat('a', 1000000))", (long)id);
        for (var id = big + 1; id <= big + small; id++)
            await Database.ExecuteAsync("INSERT INTO docs VALUES ($1, 'small')", (long)id);

        var clock = Stopwatch.StartNew();
        var received = new List<long>();
        using (var deadline = new CancellationTokenSource(Deadline))
        {
            while (received.Count < big + small)
            {
                var next = observer.NextAsync();
                if (await Task.WhenAny(next, Task.Delay(Timeout.Infinite, deadline.Token)) != next)
                    break;
                received.Add((await next).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
            }
        }
        Assert.True(received.Count == big + small,
            $"the observer had {received.Count} of {big + small} changes {Deadline.TotalSeconds} s after they were committed (elapsed {clock.Elapsed.TotalSeconds:F1} s)");
        Assert.Equal(Enumerable.Range(1, big + small).Select(i => (long)i), received);

        // The hostile subscribers matched nothing and were not cut off either.
        foreach (var client in hostile)
        {
            await client.SendAsync(new { type = "heartbeat", @ref = "still" });
            var answer = await client.NextAsync(skipHeartbeats: false);
            Assert.Equal("still", answer.TryGetProperty("ref", out var reference) ? reference.GetString() : answer.ToString());
        }
    }

    /// <summary>
    /// A regular expression whose automaton costs seconds to build on a megabyte value is cut off after its time limit:
    /// the change is withheld from that subscriber with <c>filter_too_costly</c> (never guessed), the others are unaffected.
    /// </summary>
    [Fact]
    public async Task A_regular_expression_that_runs_out_of_time_withholds_the_change_with_filter_too_costly()
    {
        await CreateTableAsync("docs", "id bigint PRIMARY KEY, content text");
        var hostile = await ConnectAsync();
        await hostile.SubscribeAsync("table:public.docs", filter: "content=match.\"(a|aa){100}b|^ok$\"");
        var observer = await ConnectAsync();
        await observer.SubscribeAsync("table:public.docs");

        await Database.ExecuteAsync("INSERT INTO docs VALUES (1, repeat('a', 1000000) || 'b')");
        await Database.ExecuteAsync("INSERT INTO docs VALUES (2, 'ok')");

        var error = await hostile.NextAsync();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("filter_too_costly", error.GetProperty("code").GetString());
        Assert.Equal("table:public.docs", error.GetProperty("channel").GetString());
        // The subscription stays: the next (small, matching) change arrives.
        Assert.Equal(2, (await hostile.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal(1, (await observer.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
        Assert.Equal(2, (await observer.NextChangeAsync()).GetProperty("payload").GetProperty("record").GetProperty("id").GetInt64());
    }
}
