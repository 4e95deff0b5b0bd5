namespace Sluice.Server.RowSecurity;

/// <summary>
/// What a message on a topic is, as <c>realtime.messages.extension</c> names it: policies on that table tell broadcast
/// from presence by this column.
/// </summary>
internal enum TopicExtension
{
    Broadcast,
    Presence,
}

internal static class TopicExtensions
{
    /// <summary>The value of <c>realtime.messages.extension</c>.</summary>
    public static string SqlName(this TopicExtension extension) => extension switch
    {
        TopicExtension.Broadcast => "broadcast",
        TopicExtension.Presence => "presence",
        _ => throw new ArgumentOutOfRangeException(nameof(extension)),
    };
}
