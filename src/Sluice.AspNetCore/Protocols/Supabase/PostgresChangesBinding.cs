using System.Text;
using System.Text.Json;
using Sluice.Protocol;
using Sluice.Server.Log;

namespace Sluice.Server.Protocols.Supabase;

/// <summary>
/// One entry of a join's <c>config.postgres_changes</c>: <c>event</c> (<c>*</c>, <c>INSERT</c>, <c>UPDATE</c>,
/// <c>DELETE</c>), <c>schema</c>, <c>table</c> and an optional <c>filter</c> (<c>column=op.value</c>). <see cref="Id"/> is
/// a stable hash of these, so the same binding gets the same id on every connection (and their changes share bytes).
/// </summary>
internal sealed class PostgresChangesBinding
{
    private PostgresChangesBinding(JsonElement requested, string eventName, ChangeEvents events, string schema, string? table, string? filter,
        IReadOnlyList<string>? select)
    {
        Requested = requested;
        Event = eventName;
        Events = events;
        Schema = schema;
        Table = table;
        Filter = filter;
        Select = select;
        Id = ComputeId(eventName, schema, table, filter, select);
    }

    /// <summary>The object as the client sent it (echoed in the join reply).</summary>
    public JsonElement Requested { get; }

    public string Event { get; }

    public ChangeEvents Events { get; }

    public string Schema { get; }

    /// <summary>Null for all tables of <see cref="Schema"/>.</summary>
    public string? Table { get; }

    public string? Filter { get; }

    /// <summary><c>select</c> (realtime-js ≥ 2.109): the columns that <c>record</c>, <c>old_record</c> and <c>columns</c> carry; null: all.</summary>
    public IReadOnlyList<string>? Select { get; }

    /// <summary>
    /// Sluice's extension: <c>since</c>, the offset of the last change the client has (from a change message's
    /// <c>data.offset</c> or the join reply's <c>offset</c>); the binding then resumes right after it. Null: live from now.
    /// </summary>
    public string? Since { get; private init; }

    /// <summary>The epoch part of <see cref="Since"/>.</summary>
    public string? SinceEpoch { get; private init; }

    /// <summary>The position part of <see cref="Since"/>.</summary>
    public ChangeOffset SinceOffset { get; private init; }

    /// <summary>Positive and never 0 (the client ignores a falsy id).</summary>
    public int Id { get; }

    /// <summary>Parses <c>payload.config.postgres_changes</c> of a join (absent → empty list).</summary>
    public static bool TryParseAll(JsonElement joinPayload, out List<PostgresChangesBinding> bindings, out string? error)
    {
        bindings = [];
        error = null;
        if (joinPayload.ValueKind != JsonValueKind.Object
            || !joinPayload.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object
            || !config.TryGetProperty("postgres_changes", out var list) || list.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return true;
        if (list.ValueKind != JsonValueKind.Array)
        {
            error = "config.postgres_changes must be an array";
            return false;
        }
        foreach (var item in list.EnumerateArray())
        {
            if (!TryParse(item, out var binding, out error))
                return false;
            bindings.Add(binding!);
        }
        return true;
    }

    public static bool TryParse(JsonElement item, out PostgresChangesBinding? binding, out string? error)
    {
        binding = null;
        if (item.ValueKind != JsonValueKind.Object)
        {
            error = "each postgres_changes entry must be an object";
            return false;
        }
        var eventName = Text(item, "event");
        ChangeEvents events;
        switch (eventName?.ToUpperInvariant())
        {
            case "*":
                events = ChangeEvents.Insert | ChangeEvents.Update | ChangeEvents.Delete;
                break;
            case "INSERT":
                events = ChangeEvents.Insert;
                break;
            case "UPDATE":
                events = ChangeEvents.Update;
                break;
            case "DELETE":
                events = ChangeEvents.Delete;
                break;
            default:
                error = $"postgres_changes event must be *, INSERT, UPDATE or DELETE, not \"{eventName}\"";
                return false;
        }
        var table = Text(item, "table");
        if (table is "*" or "")
            table = null;
        var schema = Text(item, "schema");
        if (string.IsNullOrEmpty(schema))
            schema = "public";
        var filter = Text(item, "filter");
        if (filter is "")
            filter = null;
        string? since = null, sinceEpoch = null;
        var sinceOffset = default(ChangeOffset);
        if (item.TryGetProperty("since", out var sinceValue) && sinceValue.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            since = sinceValue.ValueKind == JsonValueKind.String ? sinceValue.GetString() : null;
            if (!ChangeOffset.TryParse(since, out sinceEpoch, out sinceOffset))
            {
                error = "postgres_changes \"since\" must be an offset issued by Sluice (a change message's data.offset)";
                return false;
            }
        }
        List<string>? select = null;
        if (item.TryGetProperty("select", out var selectValue) && selectValue.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            if (selectValue.ValueKind != JsonValueKind.Array || selectValue.GetArrayLength() == 0)
            {
                error = "postgres_changes \"select\" must be a non-empty array of column names";
                return false;
            }
            select = [];
            foreach (var column in selectValue.EnumerateArray())
            {
                if (column.ValueKind != JsonValueKind.String || column.GetString() is not { Length: > 0 } name)
                {
                    error = "postgres_changes \"select\" must be a non-empty array of column names";
                    return false;
                }
                if (!select.Contains(name))
                    select.Add(name);
            }
        }
        binding = new PostgresChangesBinding(item.Clone(), eventName!, events, schema, table, filter, select)
        {
            Since = since,
            SinceEpoch = sinceEpoch,
            SinceOffset = sinceOffset,
        };
        error = null;
        return true;
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int ComputeId(string eventName, string schema, string? table, string? filter, IReadOnlyList<string>? select)
    {
        // FNV-1a over the normalized binding: stable across connections and restarts.
        var hash = 2166136261u;
        foreach (var part in (ReadOnlySpan<string?>)[eventName.ToUpperInvariant(), schema, table ?? "*", filter ?? string.Empty])
            hash = Mix(hash, part);
        if (select is not null)
        {
            // The same columns in any order give the same messages (columns follow the table's order).
            hash = Mix(hash, "select");
            var sorted = select.ToArray();
            Array.Sort(sorted, StringComparer.Ordinal);
            foreach (var column in sorted)
                hash = Mix(hash, column);
        }
        var id = (int)(hash & 0x7FFFFFFF);
        return id == 0 ? 1 : id;
    }

    private static uint Mix(uint hash, string? part)
    {
        foreach (var b in Encoding.UTF8.GetBytes(part ?? string.Empty))
            hash = (hash ^ b) * 16777619u;
        return (hash ^ 0xFF) * 16777619u;
    }
}
