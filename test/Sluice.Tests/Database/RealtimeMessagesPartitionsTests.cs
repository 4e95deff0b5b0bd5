using Sluice.Server.Database;
using Sluice.Server.Protocols.Supabase;

namespace Sluice.Tests.Database;

public sealed class RealtimeMessagesPartitionsTests
{
    [Fact]
    public void Partitions_are_named_by_their_utc_day_and_only_such_names_have_a_day()
    {
        Assert.Equal("messages_2026_01_05", RealtimeMessagesPartitions.PartitionName(new DateOnly(2026, 1, 5)));
        Assert.Equal(new DateOnly(2026, 12, 31), RealtimeMessagesPartitions.DayOf("messages_2026_12_31"));
        Assert.Null(RealtimeMessagesPartitions.DayOf("messages_2026_13_01"));
        Assert.Null(RealtimeMessagesPartitions.DayOf("messages_2026_1_01"));
        Assert.Null(RealtimeMessagesPartitions.DayOf("messages_2026_01_01_old"));
        Assert.Null(RealtimeMessagesPartitions.DayOf("messages_default"));
        Assert.Null(RealtimeMessagesPartitions.DayOf("archive_2026_01_01"));
    }

    [Fact]
    public void A_day_is_dropped_only_once_all_its_rows_are_older_than_the_retention()
    {
        var now = new DateTimeOffset(2030, 1, 10, 12, 0, 0, TimeSpan.Zero);
        // now - 3 days = 2030-01-07 12:00: the rows of the 6th are all older than that, some of the 7th are not.
        Assert.Equal(new DateOnly(2030, 1, 7), RealtimeMessagesPartitions.RetentionLimit(now, TimeSpan.FromDays(3)));
        Assert.Equal(new DateOnly(2030, 1, 9), RealtimeMessagesPartitions.RetentionLimit(now, TimeSpan.FromDays(1)));
        // Just past midnight: yesterday's rows are less than a day old.
        Assert.Equal(new DateOnly(2030, 1, 9), RealtimeMessagesPartitions.RetentionLimit(new DateTimeOffset(2030, 1, 10, 0, 0, 1, TimeSpan.Zero), TimeSpan.FromDays(1)));
        // A local offset counts as the same instant in UTC.
        Assert.Equal(new DateOnly(2030, 1, 7), RealtimeMessagesPartitions.RetentionLimit(now.ToOffset(TimeSpan.FromHours(-11)), TimeSpan.FromDays(3)));
        Assert.Equal(DateOnly.MinValue, RealtimeMessagesPartitions.RetentionLimit(now, TimeSpan.MaxValue));
    }

    [Fact]
    public void Message_retention_is_at_least_a_day()
    {
        Assert.Equal(TimeSpan.FromDays(3), new SupabaseOptions().MessageRetention);
        Assert.Empty(new SupabaseOptions { MessageRetention = TimeSpan.FromDays(1) }.Validate());
        var failure = Assert.Single(new SupabaseOptions { MessageRetention = TimeSpan.FromHours(23) }.Validate());
        Assert.Contains("Sluice:Supabase:MessageRetention", failure, StringComparison.Ordinal);
    }
}
