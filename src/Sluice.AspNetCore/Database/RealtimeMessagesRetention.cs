namespace Sluice.Server.Database;

/// <summary>
/// How long the rows of <c>realtime.messages</c> are kept (<see cref="RealtimeMessagesPartitions"/> drops a day's partition
/// once the whole day is older). Configured as <c>Sluice:Supabase:MessageRetention</c> (the setting is Supabase's, so it
/// lives in the Supabase options); the composition root hands it to the core as this value.
/// </summary>
internal sealed record RealtimeMessagesRetention(TimeSpan Period);
