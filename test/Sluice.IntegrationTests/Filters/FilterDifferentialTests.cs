using System.Globalization;
using System.Text;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Capture;
using Sluice.Server.Filters;

namespace Sluice.IntegrationTests.Filters;

/// <summary>
/// Differential test of the filter language: random rows and random filters (every operator, not., comma-AND, NULLs,
/// quoting; int, text, varchar, numeric, bool, timestamptz, uuid columns). Each filter is evaluated by Sluice on the
/// rows as PostgreSQL prints them, and its SQL equivalent runs as a WHERE clause in the real PostgreSQL: both must
/// select the same rows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FilterDifferentialTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const int RowCount = 80;
    private const int FilterCount = 400;

    private TestDatabase _database = null!;

    // Text data: ASCII letters of both cases, LIKE and quoting metacharacters, a non-ASCII letter without its
    // upper case (PostgreSQL in the C locale folds only ASCII; Sluice folds Unicode) and a character outside the BMP.
    private const string TextAlphabet = "aAbB1 %_\\,()\"é😀";
    // No \y, \Y or \w: whether 'é' is a word character depends on the locale (not in C, which this database uses; yes in
    // .NET and in the usual UTF-8 locales), a documented difference covered by the unit tests instead.
    private static readonly string[] Regexes =
    [
        "^a", "a$", "b", "^(a|b)+$", "[aé]", "[^a]", "\\(", "A", "a{2}", "^(ab)*c?$", "é", "😀", "^é|b$", ",",
        "\\d", "^$", "(?i)^a", "[%_]", "\\\\", "\"",
    ];

    private static readonly string[] Numerics = ["0", "1.5", "1.50", "-2", "10", "0.001", "-0.5", "NaN", "123456789012.25"];
    private static readonly string[] Instants =
    [
        "2024-01-01T00:00:00Z", "2024-01-01T02:00:00+02:00", "2023-12-31T23:00:00-01:00", "2024-06-01T12:30:00.5-03:00",
        "2024-06-01T15:30:00.5Z", "1999-12-31T23:59:59.999999Z", "2030-01-01T00:00:00+05:30",
    ];
    private static readonly string[] Uuids =
    [
        "00000000-0000-0000-0000-000000000000", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12",
        "ffffffff-ffff-ffff-ffff-ffffffffffff", "7fffffff-0000-0000-8000-000000000000",
    ];

    private static readonly (string Name, string SqlType, uint Oid)[] Columns =
    [
        ("rid", "int4", 23), ("i", "int4", 23), ("t", "text COLLATE \"C\"", 25), ("v", "varchar(12) COLLATE \"C\"", 1043),
        ("n", "numeric", 1700), ("b", "bool", 16), ("ts", "timestamptz", 1184), ("u", "uuid", 2950),
    ];

    public async Task InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        await _database.ExecuteAsync("CREATE TABLE probe (" + string.Join(", ", Columns.Select(c => $"{c.Name} {c.SqlType}")) + ", PRIMARY KEY (rid))");
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task Sluice_selects_the_rows_postgresql_selects(int seed)
    {
        var random = new Random(seed);
        await using var connection = await _database.OpenAsync();
        await Execute(connection, "TRUNCATE probe");
        for (var rid = 0; rid < RowCount; rid++)
            await InsertRandomRowAsync(connection, random, rid);
        var rows = await ReadRowsAsPrintedAsync(connection);
        var table = new TableSchema(1, "public", "probe",
            [.. Columns.Select(c => { BuiltinTypes.TryResolve(c.Oid, out var type); return new TableColumn(c.Name, type, c.Name == "rid"); })]);

        var failures = new List<string>();
        var nonEmpty = 0;
        for (var f = 0; f < FilterCount; f++)
        {
            var conditions = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomCondition(random)).ToArray();
            var filterText = string.Join(',', conditions.Select(c => c.Filter));
            var sql = string.Join(" AND ", conditions.Select(c => "(" + c.Sql + ")"));
            Assert.True(RowFilter.TryParse(filterText, table, out var filter, out var error), $"{filterText}: {error}");

            var sluice = rows.Where(r => filter.Matches(r.Values)).Select(r => r.Rid).Order().ToArray();
            var expected = await SelectAsync(connection, sql);
            if (expected.Length > 0)
                nonEmpty++;
            if (!sluice.SequenceEqual(expected))
            {
                var onlySluice = sluice.Except(expected).Select(rid => RowText(rows, rid));
                var onlyPostgres = expected.Except(sluice).Select(rid => RowText(rows, rid));
                failures.Add($"filter {filterText}\n  WHERE {sql}\n  only Sluice: {string.Join("; ", onlySluice)}\n  only PostgreSQL: {string.Join("; ", onlyPostgres)}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {FilterCount} filters disagree:\n" + string.Join("\n", failures.Take(10)));
        // The comparison means something only if filters do select rows.
        Assert.True(nonEmpty > FilterCount / 5, $"only {nonEmpty} filters selected any row");
    }

    private sealed record Row(int Rid, string?[] Values);

    private sealed record Condition(string Filter, string Sql);

    private static string RowText(List<Row> rows, int rid) =>
        "(" + string.Join(", ", rows.Single(r => r.Rid == rid).Values.Select(v => v is null ? "NULL" : "'" + v + "'")) + ")";

    private static async Task InsertRandomRowAsync(NpgsqlConnection connection, Random random, int rid)
    {
        string? Maybe(Func<string> value) => random.Next(6) == 0 ? null : value();
        var values = new[]
        {
            rid.ToString(CultureInfo.InvariantCulture),
            Maybe(() => random.Next(-3, 4).ToString(CultureInfo.InvariantCulture)),
            Maybe(() => RandomText(random, 4)),
            Maybe(() => RandomText(random, 3)),
            Maybe(() => Pick(random, Numerics)),
            Maybe(() => Pick(random, ["true", "false"])),
            Maybe(() => Pick(random, Instants)),
            Maybe(() => Pick(random, Uuids)),
        };
        var sql = "INSERT INTO probe VALUES (" + string.Join(", ", values.Select((v, i) => v is null ? "NULL" : Literal(v) + "::" + Columns[i].SqlType.Split(' ')[0])) + ")";
        await Execute(connection, sql);
    }

    private static async Task<List<Row>> ReadRowsAsPrintedAsync(NpgsqlConnection connection)
    {
        // The text output functions are what pgoutput sends in text mode: the rows exactly as capture sees them.
        await using var command = new NpgsqlCommand("SELECT " + string.Join(", ", Columns.Select(c => c.Name + "::text")) + " FROM probe ORDER BY rid", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
        {
            var values = new string?[Columns.Length];
            for (var i = 0; i < values.Length; i++)
                values[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
            rows.Add(new Row(int.Parse(values[0]!, CultureInfo.InvariantCulture), values));
        }
        return rows;
    }

    private static async Task<int[]> SelectAsync(NpgsqlConnection connection, string where)
    {
        await using var command = new NpgsqlCommand($"SELECT rid FROM probe WHERE {where} ORDER BY rid", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rids = new List<int>();
        while (await reader.ReadAsync())
            rids.Add(reader.GetInt32(0));
        return [.. rids];
    }

    private static Condition RandomCondition(Random random)
    {
        var condition = random.Next(7) switch
        {
            0 => Compare(random, "i", "int4", () => random.Next(-3, 4).ToString(CultureInfo.InvariantCulture)),
            1 => TextCondition(random, "t", "text"),
            2 => TextCondition(random, "v", "varchar"),
            3 => Compare(random, "n", "numeric", () => Pick(random, [.. Numerics, "1.500", "1e1", "-0"])),
            4 => BooleanCondition(random),
            5 => Compare(random, "ts", "timestamptz", () => Pick(random, Instants)),
            _ => Compare(random, "u", "uuid", () => Pick(random, Uuids)),
        };
        if (random.Next(3) != 0)
            return condition;
        var equals = condition.Filter.IndexOf('=', StringComparison.Ordinal);
        return new Condition(condition.Filter[..(equals + 1)] + "not." + condition.Filter[(equals + 1)..], $"NOT ({condition.Sql})");
    }

    /// <summary>eq … gte, in, isdistinct, is.null, is.not_null with values of the column's type.</summary>
    private static Condition Compare(Random random, string column, string type, Func<string> value)
    {
        string[] ops = ["eq", "neq", "lt", "lte", "gt", "gte", "in", "isdistinct", "is.null", "is.not_null"];
        var op = Pick(random, ops);
        switch (op)
        {
            case "is.null":
                return new Condition($"{column}=is.null", $"{column} IS NULL");
            case "is.not_null":
                return new Condition($"{column}=is.not_null", $"{column} IS NOT NULL");
            case "in":
                var items = Enumerable.Range(0, random.Next(1, 4)).Select(_ => value()).ToArray();
                return new Condition($"{column}=in.({string.Join(',', items.Select(v => v.Length == 0 ? "\"\"" : Quote(v)))})",
                    $"{column} IN ({string.Join(", ", items.Select(v => Literal(v) + "::" + type))})");
            default:
                var v = value();
                var sqlOp = op switch
                {
                    "eq" => "=",
                    "neq" => "<>",
                    "lt" => "<",
                    "lte" => "<=",
                    "gt" => ">",
                    "gte" => ">=",
                    _ => "IS DISTINCT FROM",
                };
                return new Condition($"{column}={op}.{Quote(v)}", $"{column} {sqlOp} {Literal(v)}::{type}");
        }
    }

    private static Condition TextCondition(Random random, string column, string type)
    {
        switch (random.Next(4))
        {
            case 0:
                return Compare(random, column, type, () => RandomText(random, 3));
            case 1:
                var like = random.Next(2) == 0 ? "like" : "ilike";
                var pattern = RandomText(random, 4, "%%_");
                if (pattern.EndsWith('\\') && (pattern.Length - pattern.TrimEnd('\\').Length) % 2 == 1)
                    pattern += "a";
                return new Condition($"{column}={like}.{Quote(pattern)}", $"{column} {like.ToUpperInvariant()} {Literal(pattern)}");
            default:
                var match = random.Next(2) == 0 ? "match" : "imatch";
                var regex = Pick(random, Regexes);
                return new Condition($"{column}={match}.{Quote(regex)}", $"{column} {(match == "match" ? "~" : "~*")} {Literal(regex)}");
        }
    }

    private static Condition BooleanCondition(Random random)
    {
        switch (random.Next(3))
        {
            case 0:
                var keyword = Pick(random, ["true", "false", "unknown", "null", "not_null"]);
                return new Condition($"b=is.{keyword}", keyword == "not_null" ? "b IS NOT NULL" : $"b IS {keyword.ToUpperInvariant()}");
            default:
                return Compare(random, "b", "bool", () => Pick(random, ["true", "false", "t", "f", "TRUE"]));
        }
    }

    private static string RandomText(Random random, int maxLength, string extra = "")
    {
        var alphabet = TextAlphabet + extra;
        var builder = new StringBuilder();
        var length = random.Next(maxLength + 1);
        var chars = alphabet.EnumerateRunes().ToArray();
        for (var i = 0; i < length; i++)
            builder.Append(chars[random.Next(chars.Length)].ToString());
        return builder.ToString();
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Quotes a value as realtime-js' filter builder does (reserved , ( ) " \ or surrounding whitespace).</summary>
    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",()\"\\") >= 0 || value != value.Trim()
            ? "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : value;

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
