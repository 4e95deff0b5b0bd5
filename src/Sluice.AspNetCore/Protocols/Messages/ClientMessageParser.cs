using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sluice.Protocol;

namespace Sluice.Server.Protocols.Messages;

/// <summary>Parses client frames of the native protocol, with a precise error for anything malformed.</summary>
internal static class ClientMessageParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    /// <summary>Parses one UTF-8 JSON frame. Unknown properties are ignored.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out ClientMessage? message, [NotNullWhen(false)] out ProtocolError? error)
    {
        message = null;
        // Checked first: a lone surrogate escape would make reading any string throw.
        if (!JsonStrings.AreValidUnicode(utf8))
        {
            error = new ProtocolError(ErrorCodes.InvalidJson, "frame is not valid JSON: " + JsonStrings.LoneSurrogateMessage);
            return false;
        }
        try
        {
            return TryParseCore(utf8, out message, out error);
        }
        catch (JsonException ex)
        {
            error = new ProtocolError(ErrorCodes.InvalidJson, $"frame is not valid JSON: {ex.Message}");
            return false;
        }
    }

    private static bool TryParseCore(ReadOnlySpan<byte> utf8, out ClientMessage? message, [NotNullWhen(false)] out ProtocolError? error)
    {
        message = null;
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = new ProtocolError(ErrorCodes.InvalidJson, "frame must be a JSON object");
            return false;
        }

        string? type = null, channel = null, id = null, filter = null, since = null, databaseSince = null, token = null, eventName = null, reference = null, key = null;
        ChangeEvents? events = null;
        bool snapshot = false, batchCatchUp = false;
        bool self = false, ack = false, hasState = false;
        byte[]? payload = null, state = null;
        ProtocolError? fieldError = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "type":
                    type = ReadString(ref reader, "type", ref fieldError);
                    break;
                case "channel":
                    channel = ReadString(ref reader, "channel", ref fieldError);
                    break;
                case "id":
                    id = ReadString(ref reader, "id", ref fieldError);
                    break;
                case "filter":
                    filter = ReadString(ref reader, "filter", ref fieldError);
                    break;
                case "since":
                    since = ReadString(ref reader, "since", ref fieldError);
                    break;
                case "database_since":
                    databaseSince = ReadString(ref reader, "database_since", ref fieldError);
                    break;
                case "token":
                    token = ReadString(ref reader, "token", ref fieldError);
                    break;
                case "snapshot":
                    snapshot = ReadBoolean(ref reader, "snapshot", ref fieldError);
                    break;
                case "batch_catch_up":
                    batchCatchUp = ReadBoolean(ref reader, "batch_catch_up", ref fieldError);
                    break;
                case "event":
                    eventName = ReadString(ref reader, "event", ref fieldError);
                    break;
                case "ref":
                    reference = ReadString(ref reader, "ref", ref fieldError);
                    break;
                case "key":
                    key = ReadString(ref reader, "key", ref fieldError);
                    break;
                case "self":
                    self = ReadBoolean(ref reader, "self", ref fieldError);
                    break;
                case "ack":
                    ack = ReadBoolean(ref reader, "ack", ref fieldError);
                    break;
                case "payload":
                    payload = ReadRaw(ref reader, utf8);
                    break;
                case "state":
                    hasState = true;
                    if (reader.TokenType == JsonTokenType.StartObject)
                        state = ReadRaw(ref reader, utf8);
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        fieldError ??= new ProtocolError(ErrorCodes.InvalidField, "\"state\" must be a JSON object, or null to untrack");
                        reader.Skip();
                    }
                    break;
                case "events":
                    events = ReadEvents(ref reader, ref fieldError);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        // Reading to the end validates the rest of the document (trailing garbage throws).
        while (reader.Read())
        {
        }

        if (type is null)
        {
            error = fieldError ?? new ProtocolError(ErrorCodes.MissingField, "frame has no \"type\"", channel);
            return false;
        }
        if (fieldError is not null)
        {
            // The id is echoed only when it is valid: the client can then tell which of its subscriptions was refused.
            error = fieldError with { Channel = channel, Id = id is not null && SubscriptionIds.IsValid(id, out _) ? id : null };
            return false;
        }

        message = new ClientMessage
        {
            Type = type, Channel = channel, Id = id, Filter = filter, Since = since, DatabaseSince = databaseSince, Events = events, Snapshot = snapshot, BatchCatchUp = batchCatchUp, Token = token,
            Event = eventName, Payload = payload, Self = self, Ack = ack, Ref = reference, HasState = hasState, State = state, Key = key,
        };
        error = null;
        return true;
    }

    private static string? ReadString(ref Utf8JsonReader reader, string field, ref ProtocolError? error)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString();
        if (reader.TokenType != JsonTokenType.Null)
        {
            error ??= new ProtocolError(ErrorCodes.InvalidField, $"\"{field}\" must be a string");
            reader.Skip();
        }
        return null;
    }

    private static bool ReadBoolean(ref Utf8JsonReader reader, string field, ref ProtocolError? error)
    {
        if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
            return reader.GetBoolean();
        if (reader.TokenType != JsonTokenType.Null)
        {
            error ??= new ProtocolError(ErrorCodes.InvalidField, $"\"{field}\" must be true or false");
            reader.Skip();
        }
        return false;
    }

    /// <summary>Copies the current JSON value (of any kind) as raw UTF-8 and leaves the reader on its last token.</summary>
    private static byte[] ReadRaw(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            reader.Skip();
        return utf8[start..(int)reader.BytesConsumed].ToArray();
    }

    private static ChangeEvents? ReadEvents(ref Utf8JsonReader reader, ref ProtocolError? error)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error ??= new ProtocolError(ErrorCodes.InvalidEvents, "\"events\" must be an array such as [\"INSERT\", \"UPDATE\"]");
            reader.Skip();
            return null;
        }

        var events = ChangeEvents.None;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (value is null)
                reader.Skip();
            var parsed = ParseEvent(value);
            if (parsed == ChangeEvents.None)
                error ??= new ProtocolError(ErrorCodes.InvalidEvents, $"unknown event {(value is null ? "(not a string)" : "\"" + value + "\"")}; use INSERT, UPDATE, DELETE, TRUNCATE or *");
            events |= parsed;
        }
        if (events == ChangeEvents.None)
            error ??= new ProtocolError(ErrorCodes.InvalidEvents, "\"events\" must name at least one of INSERT, UPDATE, DELETE, TRUNCATE or *");
        return events;
    }

    private static ChangeEvents ParseEvent(string? value) => value?.ToUpperInvariant() switch
    {
        ChangeTypes.Insert => ChangeEvents.Insert,
        ChangeTypes.Update => ChangeEvents.Update,
        ChangeTypes.Delete => ChangeEvents.Delete,
        ChangeTypes.Truncate => ChangeEvents.Truncate,
        ChangeTypes.All => ChangeEvents.All,
        _ => ChangeEvents.None,
    };
}
