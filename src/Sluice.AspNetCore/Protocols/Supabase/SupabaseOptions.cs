namespace Sluice.Server.Protocols.Supabase;

/// <summary>Settings of the Supabase Realtime (Phoenix) endpoint, section <c>Sluice:Supabase</c>.</summary>
public sealed class SupabaseOptions
{
    /// <summary>The configuration section these settings are bound from.</summary>
    public const string SectionName = "Sluice:Supabase";

    /// <summary>
    /// A change whose <c>record</c> and <c>old_record</c> together are larger than this (in UTF-8 bytes of their values and
    /// column names) is sent with <c>errors: ["Error 413: Payload Too Large"]</c> and only the values of at most 64 bytes,
    /// as Supabase does. Supabase's default: 1 MiB.
    /// </summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>A socket that received nothing (not even a heartbeat) for this long is closed, as Phoenix does (60 s).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long rows of <c>realtime.messages</c> are kept when Sluice manages its daily partitions: a partition
    /// <c>realtime.messages_YYYY_MM_DD</c> is dropped once its whole day is older than this (UTC), so a row lives at least
    /// this long and at most a day more. Supabase's: 72 hours. At least one day.
    /// </summary>
    public TimeSpan MessageRetention { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Every problem with the settings, in terms of the setting to fix.</summary>
    internal IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (MaxRecordBytes is < 64 or > 256 * 1024 * 1024)
            failures.Add($"{SectionName}:MaxRecordBytes must be between 64 and 268435456.");
        if (IdleTimeout < TimeSpan.FromSeconds(1) || IdleTimeout > TimeSpan.FromDays(1))
            failures.Add($"{SectionName}:IdleTimeout must be between 00:00:01 and 1.00:00:00.");
        if (MessageRetention < TimeSpan.FromDays(1))
            failures.Add($"{SectionName}:MessageRetention must be at least 1.00:00:00 (one day).");
        return failures;
    }
}
