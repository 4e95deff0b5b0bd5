using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Database;
using Sluice.Server.Protocols.Supabase;

namespace Sluice.IntegrationTests;

/// <summary>The daily partitions of <c>realtime.messages</c>: created ahead, dropped past the retention, on a fake clock.</summary>
public sealed class RealtimeMessagesPartitionsTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const string Partitions = """
        SELECT coalesce(string_agg(c.relname, ',' ORDER BY c.relname), '')
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'realtime.messages'::regclass
        """;

    [Fact]
    public async Task Yesterday_through_today_plus_three_exist_once_sluice_is_ready()
    {
        // The UTC day of the database's clock, as the server saw it moments ago (a test run across midnight may fail).
        var today = await Database.ScalarAsync<DateOnly>("SELECT (now() AT TIME ZONE 'utc')::date");
        Assert.Equal(Names(today.AddDays(-1), today.AddDays(3)), await Database.ScalarAsync<string>(Partitions));
        Assert.Equal($"FOR VALUES FROM ('{today:yyyy-MM-dd} 00:00:00') TO ('{today.AddDays(1):yyyy-MM-dd} 00:00:00')",
            await Database.ScalarAsync<string>("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = to_regclass($1)",
                "realtime." + RealtimeMessagesPartitions.PartitionName(today)));
    }

    [Fact]
    public async Task Partitions_follow_the_clock_every_hour_and_leave_once_past_the_retention()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 3, 10, 10, 0, 0, TimeSpan.Zero));
        var partitions = new RealtimeMessagesPartitions(Server.Services.GetRequiredService<NpgsqlDataSource>(), time,
            new RealtimeMessagesRetention(new SupabaseOptions().MessageRetention), NullLogger<RealtimeMessagesPartitions>.Instance);
        // A partition of another name is never Sluice's to drop.
        await Database.ExecuteAsync("CREATE TABLE realtime.messages_archive PARTITION OF realtime.messages FOR VALUES FROM ('2001-01-01') TO ('2002-01-01')");
        try
        {
            // The first round runs in StartAsync: the start-up days of the real clock are years older than the retention.
            await partitions.StartAsync(CancellationToken.None);
            Assert.Equal(Names(new DateOnly(2031, 3, 9), new DateOnly(2031, 3, 13)) + ",messages_archive", await Database.ScalarAsync<string>(Partitions));
            await Database.ExecuteAsync("INSERT INTO realtime.messages (topic, extension, inserted_at) VALUES ('old', 'broadcast', '2031-03-09 08:00')");
            Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime.messages WHERE topic = 'old'"));

            // Not yet an hour: nothing happens.
            await Database.ExecuteAsync("DROP TABLE realtime.messages_2031_03_13");
            time.Advance(TimeSpan.FromMinutes(59));
            await Task.Delay(300);
            Assert.DoesNotContain("messages_2031_03_13", await Database.ScalarAsync<string>(Partitions), StringComparison.Ordinal);

            // An hour: the missing day is created again.
            time.Advance(TimeSpan.FromMinutes(1));
            await UntilAsync(Names(new DateOnly(2031, 3, 9), new DateOnly(2031, 3, 13)) + ",messages_archive");

            // Four days on (2031-03-14 11:00): the days before 2031-03-11 (whose rows are all more than three days old) leave.
            time.Advance(TimeSpan.FromDays(4));
            await UntilAsync(Names(new DateOnly(2031, 3, 11), new DateOnly(2031, 3, 17)) + ",messages_archive");
            Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime.messages WHERE topic = 'old'"));
        }
        finally
        {
            await partitions.StopAsync(CancellationToken.None);
            partitions.Dispose();
        }
    }

    [Fact]
    public async Task A_one_day_retention_keeps_yesterday()
    {
        var partitions = new RealtimeMessagesPartitions(Server.Services.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System,
            new RealtimeMessagesRetention(TimeSpan.FromDays(1)), NullLogger<RealtimeMessagesPartitions>.Instance);

        await partitions.MaintainAsync(new DateTimeOffset(2031, 7, 1, 0, 30, 0, TimeSpan.Zero), CancellationToken.None);
        Assert.Equal(Names(new DateOnly(2031, 6, 30), new DateOnly(2031, 7, 4)), await Database.ScalarAsync<string>(Partitions));
        await Database.ExecuteAsync("INSERT INTO realtime.messages (topic, extension, inserted_at) VALUES ('yesterday', 'broadcast', '2031-06-30 23:00')");

        // Not a day old yet at noon: the row and its partition stay.
        await partitions.MaintainAsync(new DateTimeOffset(2031, 7, 1, 12, 0, 0, TimeSpan.Zero), CancellationToken.None);
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime.messages WHERE topic = 'yesterday'"));

        await partitions.MaintainAsync(new DateTimeOffset(2031, 7, 2, 23, 59, 0, TimeSpan.Zero), CancellationToken.None);
        Assert.Equal(Names(new DateOnly(2031, 7, 1), new DateOnly(2031, 7, 5)), await Database.ScalarAsync<string>(Partitions));
    }

    private static string Names(DateOnly first, DateOnly last)
    {
        var names = new List<string>();
        for (var day = first; day <= last; day = day.AddDays(1))
            names.Add(RealtimeMessagesPartitions.PartitionName(day));
        return string.Join(',', names);
    }

    private async Task UntilAsync(string expected)
    {
        string? actual = null;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            actual = await Database.ScalarAsync<string>(Partitions);
            if (actual == expected)
                return;
            await Task.Delay(50);
        }
        Assert.Equal(expected, actual);
    }
}
