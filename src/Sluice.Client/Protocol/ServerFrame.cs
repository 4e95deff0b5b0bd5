using System.Text.Json;
using Sluice.Client.Channels;
using Sluice.Protocol;

namespace Sluice.Client.Protocol;

/// <summary>One frame from the server, parsed once by the socket reader.</summary>
internal sealed class ServerFrame
{
    private ServerFrame(JsonElement root, string type, string? channel)
    {
        Root = root;
        Type = type;
        Channel = channel;
        // Only table channels have subscription ids; a room's database_broadcast carries its message's "id".
        SubscriptionId = channel is not null && TableChannel.HasPrefix(channel) ? String("id") : null;
    }

    public JsonElement Root { get; }
    public string Type { get; }
    public string? Channel { get; }

    /// <summary>The table subscription's id the frame is about (<c>id</c> of a table channel's frame); null when it has none.</summary>
    public string? SubscriptionId { get; }

    /// <summary>The key of the subscription the frame is about (see <see cref="ChannelState.KeyOf"/>); null without a channel.</summary>
    public string? Key => Channel is null ? null : ChannelState.KeyOf(Channel, SubscriptionId);

    public string? Offset => String("offset");

    /// <summary>A room's position in its database broadcasts (a room <c>ack</c>'s, or a <c>database_broadcast</c>'s).</summary>
    public string? DatabaseOffset => String("database_offset");
    public string? Code => String("code");
    public string? Error => String("error");
    public string? Ref => String("ref");
    public bool Last => Root.TryGetProperty("last", out var last) && last.ValueKind == JsonValueKind.True;
    public bool TransactionEnd => Root.TryGetProperty("tx_end", out var end) && end.ValueKind == JsonValueKind.True;

    public JsonElement Rows => Root.TryGetProperty("rows", out var rows) && rows.ValueKind == JsonValueKind.Array
        ? rows
        : throw new FormatException("snapshot frame without a rows array");

    /// <summary>Parses a text frame; the result owns its memory (the receive buffer can be reused).</summary>
    public static ServerFrame Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        return FromElement(JsonElement.ParseValue(ref reader));
    }

    /// <summary>
    /// The frames a <see cref="FrameTypes.Changes"/> frame carries (replayed changes of one subscription, in order), each as
    /// if it had come alone.
    /// </summary>
    public IEnumerable<ServerFrame> Inner()
    {
        if (!Root.TryGetProperty("changes", out var changes) || changes.ValueKind != JsonValueKind.Array)
            throw new FormatException("changes frame without a changes array");
        foreach (var change in changes.EnumerateArray())
            yield return FromElement(change);
    }

    private static ServerFrame FromElement(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new FormatException("frame is not a JSON object");
        var type = root.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String
            ? typeElement.GetString()!
            : throw new FormatException("frame has no type");
        var channel = root.TryGetProperty("channel", out var channelElement) && channelElement.ValueKind == JsonValueKind.String
            ? channelElement.GetString()
            : null;
        return new ServerFrame(root, type, channel);
    }

    /// <summary>The change carried by a <c>broadcast</c> frame.</summary>
    public ChangeFrame ToChange()
    {
        var payload = Root.GetProperty("payload");
        var kind = payload.GetProperty("type").GetString() switch
        {
            ChangeTypes.Insert => ChangeKind.Insert,
            ChangeTypes.Update => ChangeKind.Update,
            ChangeTypes.Delete => ChangeKind.Delete,
            ChangeTypes.Truncate => ChangeKind.Truncate,
            var other => throw new FormatException($"unknown change type {other}"),
        };
        var timestamp = Root.TryGetProperty("commit_timestamp", out var commit) && commit.ValueKind == JsonValueKind.String
            ? commit.GetDateTimeOffset()
            : default;
        return new ChangeFrame(
            kind,
            payload.TryGetProperty("schema", out var schema) ? schema.GetString() ?? "" : "",
            payload.TryGetProperty("table", out var table) ? table.GetString() ?? "" : "",
            payload.TryGetProperty("record", out var record) && record.ValueKind == JsonValueKind.Object ? record : null,
            payload.TryGetProperty("old_record", out var old) && old.ValueKind == JsonValueKind.Object ? old : null,
            Offset ?? throw new FormatException("change frame without an offset"),
            timestamp,
            TransactionEnd)
        {
            TooLarge = payload.TryGetProperty("too_large", out var tooLarge) && tooLarge.ValueKind == JsonValueKind.True,
            KeyColumns = Strings(payload, "key_columns"),
            OmittedColumns = Strings(payload, "omitted_columns"),
        };
    }

    /// <summary>
    /// The rows of a <c>snapshot</c> frame listed in <c>too_large_rows</c> (reduced by the server), as indexes into the whole
    /// snapshot's <paramref name="rows"/>, where this frame's rows start at <paramref name="first"/>.
    /// </summary>
    public IEnumerable<ReducedSnapshotRow> ReducedSnapshotRows(int first, IReadOnlyList<JsonElement> rows)
    {
        if (!Root.TryGetProperty("too_large_rows", out var entries) || entries.ValueKind != JsonValueKind.Array)
            yield break;
        var keyColumns = Strings(Root, "key_columns");
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("index", out var indexElement)
                || !indexElement.TryGetInt32(out var index) || index < 0 || first + index >= rows.Count)
                throw new FormatException("snapshot frame: a too_large_rows entry has no valid index");
            var row = rows[first + index];
            yield return new ReducedSnapshotRow(first + index, KeyFilters.For(keyColumns, row), Strings(entry, "omitted_columns"));
        }
    }

    private static string[] Strings(JsonElement payload, string name)
    {
        if (!payload.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            return [];
        var strings = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
                strings.Add(item.GetString()!);
        }
        return [.. strings];
    }

    /// <summary>The message carried by a <c>broadcast</c> frame of a room.</summary>
    public RoomMessageFrame ToRoomMessage()
    {
        var @event = String("event") ?? throw new FormatException("room broadcast without an event");
        var payload = Root.TryGetProperty("payload", out var value) ? value : throw new FormatException("room broadcast without a payload");
        return new RoomMessageFrame(@event, payload, Offset ?? throw new FormatException("room broadcast without an offset"));
    }

    /// <summary>The message carried by a room's <c>database_broadcast</c> frame.</summary>
    public DatabaseBroadcastFrame ToDatabaseBroadcast()
    {
        var @event = String("event") ?? throw new FormatException("database broadcast without an event");
        var payload = Root.TryGetProperty("payload", out var value) ? value : throw new FormatException("database broadcast without a payload");
        return new DatabaseBroadcastFrame(@event, payload, String("id"),
            DatabaseOffset ?? throw new FormatException("database broadcast without a database_offset"));
    }

    /// <summary>The presence entries in array <paramref name="name"/> (<c>presences</c>, <c>joins</c>, <c>leaves</c>); empty when absent.</summary>
    public IReadOnlyList<PresenceEntry> Presences(string name, ISluiceSerializer serializer)
    {
        if (!Root.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
            return [];
        if (array.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{Type} frame: {name} is not an array");
        var entries = new PresenceEntry[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{Type} frame: a presence entry is not an object");
            var key = item.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : throw new FormatException("presence entry without a key");
            var reference = item.TryGetProperty("ref", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            var state = item.TryGetProperty("state", out var s) ? s : default;
            entries[i++] = new PresenceEntry(key, reference, state, serializer);
        }
        return entries;
    }

    private string? String(string name) =>
        Root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
