using System.Globalization;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity.Chaos;

/// <summary>A table of the chaos run: its replica identity, and whether control events drop and recreate it.</summary>
public sealed record ChaosTable(string Name, bool FullIdentity, bool Recreated);

/// <summary>A row version as its writer's transaction committed it, and the OID of the table (incarnation) it went into.</summary>
public sealed record ChaosVersion(long Version, string Table, long Id, int Organization, string? Body, uint TableOid);

/// <summary>
/// The database side of a row-level security chaos run: organizations' documents in three tables (REPLICA IDENTITY FULL;
/// REPLICA IDENTITY DEFAULT; FULL and dropped and recreated), members whose memberships change, policies that are swapped,
/// row-level security switched off and on, and writers changing rows of all organizations concurrently. Every control event
/// commits a row into <see cref="ControlTable"/> in the same transaction, so its commit position is seen in the stream.
/// Roles are cluster-wide: the tests' own role names (<c>rls_member</c>, <c>rls_visitor</c>, <c>rls_chaos_observer</c>).
/// </summary>
public sealed class ChaosWorld(TestDatabase database, int seed)
{
    public const string Member = "rls_member";
    public const string Visitor = "rls_visitor";
    public const string Observer = "rls_chaos_observer";
    public const string ControlTable = "chaos_control";
    public const int Organizations = 4; // 0 is public: the anonymous role's policy admits it
    public static readonly string[] Users = ["u1", "u2", "u3"];

    public static readonly ChaosTable[] Tables =
    [
        new("chaos_docs", FullIdentity: true, Recreated: false),
        new("chaos_plain", FullIdentity: false, Recreated: false),
        new("chaos_temp", FullIdentity: true, Recreated: true),
    ];

    private readonly Random _random = new(seed);
    private readonly List<ChaosControl> _controls = [];
    private readonly List<ChaosVersion> _committed = [];
    private readonly List<uint> _tempOids = [];
    private long _version;
    private int _writes;

    public ChaosState State { get; private set; } = null!;

    /// <summary>Every control event so far, in commit order (they run one at a time).</summary>
    public IReadOnlyList<ChaosControl> Controls => _controls;

    public ChaosState InitialState { get; private set; } = null!;

    /// <summary>Row changes committed by the writers so far.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Every row version the writers committed (recorded by the writers themselves: the oracle's ground truth).</summary>
    public IReadOnlyList<ChaosVersion> Committed
    {
        get
        {
            lock (_committed)
                return [.. _committed];
        }
    }

    /// <summary>The OID of each incarnation of <c>chaos_temp</c>, in order (index = <see cref="ChaosState.TempIncarnation"/>).</summary>
    public IReadOnlyList<uint> TempOids => _tempOids;

    /// <summary>Each user's home organization (the claim policy B reads).</summary>
    public Dictionary<string, int> HomeOrganization { get; } = [];

    public static string MemberPolicy(string table, char variant) => variant == 'A'
        ? $"CREATE POLICY members ON public.{table} FOR SELECT TO {Member} USING (EXISTS (SELECT 1 FROM public.chaos_members m WHERE m.user_id = auth.jwt() ->> 'sub' AND m.organization_id = {table}.organization_id))"
        : $"CREATE POLICY members ON public.{table} FOR SELECT TO {Member} USING (organization_id = (auth.jwt() ->> 'home_org')::int)";

    public static string VisitorPolicy(string table) =>
        $"CREATE POLICY visitors ON public.{table} FOR SELECT TO {Visitor} USING (organization_id = 0)";

    /// <summary>What a writer's INSERT/UPDATE returns: the version it committed and the table incarnation it went into.</summary>
    private const string Returning = "RETURNING version, id, organization_id, body, tableoid";

    public static string TableColumns => "id bigint PRIMARY KEY, organization_id int NOT NULL, body text, version bigint NOT NULL";

    public static async Task CreateRolesAsync(TestDatabase database) =>
        await database.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Member}') THEN CREATE ROLE {Member} NOLOGIN; END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Visitor}') THEN CREATE ROLE {Visitor} NOLOGIN; END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Observer}') THEN CREATE ROLE {Observer} NOLOGIN BYPASSRLS; END IF;
            END $$
            """);

    /// <summary>Creates the tables (realtime-enabled: the server must be running), policies and first memberships.</summary>
    public async Task SetupAsync()
    {
        foreach (var user in Users)
            HomeOrganization[user] = _random.Next(1, Organizations);
        var members = new List<(string, int)>();
        foreach (var user in Users)
        {
            for (var organization = 1; organization < Organizations; organization++)
            {
                if (_random.Next(2) == 0)
                    members.Add((user, organization));
            }
        }
        await database.ExecuteAsync($"""
            CREATE TABLE public.chaos_members (user_id text NOT NULL, organization_id int NOT NULL, PRIMARY KEY (user_id, organization_id));
            GRANT SELECT ON public.chaos_members TO {Member};
            CREATE TABLE public.{ControlTable} (seq int PRIMARY KEY, description text NOT NULL);
            GRANT SELECT ON public.{ControlTable} TO {Member}, {Visitor}, {Observer};
            """);
        await database.ExecuteAsync($"SELECT enable_realtime('public', '{ControlTable}')");
        foreach (var table in Tables)
        {
            await database.ExecuteAsync(TableSql(table.Name));
            if (!table.FullIdentity)
                await database.ExecuteAsync($"ALTER TABLE public.{table.Name} REPLICA IDENTITY DEFAULT");
        }
        foreach (var (user, organization) in members)
            await database.ExecuteAsync("INSERT INTO public.chaos_members VALUES ($1, $2)", user, organization);
        await using (var connection = await database.OpenAsync())
            _tempOids.Add(await TempOidAsync(connection, null));
        State = InitialState = ChaosState.Initial(members);
    }

    /// <summary>Creates one table with row-level security, policy A and its grants (as one script, so a recreation is one transaction).</summary>
    private static string TableSql(string table) => $"""
        CREATE TABLE public.{table} ({TableColumns});
        SELECT enable_realtime('public', '{table}');
        ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY;
        GRANT SELECT ON public.{table} TO {Member}, {Visitor}, {Observer};
        {MemberPolicy(table, 'A')};
        {VisitorPolicy(table)};
        """;

    /// <summary>Commits one random control event (with its control row) and returns it.</summary>
    public async Task<ChaosControl> ControlAsync()
    {
        var seq = _controls.Count + 1;
        var state = State;
        string sql, description;
        var recreates = false;
        switch (_random.Next(10))
        {
            case < 4:
                {
                    var user = Users[_random.Next(Users.Length)];
                    var organization = _random.Next(1, Organizations);
                    if (state.Members.Contains((user, organization)))
                    {
                        sql = $"DELETE FROM public.chaos_members WHERE user_id = '{user}' AND organization_id = {organization}";
                        description = $"revoke {user} from {organization}";
                        state = state with { Members = state.Members.Remove((user, organization)) };
                    }
                    else
                    {
                        sql = $"INSERT INTO public.chaos_members VALUES ('{user}', {organization})";
                        description = $"grant {user} {organization}";
                        state = state with { Members = state.Members.Add((user, organization)) };
                    }
                    break;
                }
            case < 6:
                {
                    var table = Tables[_random.Next(2)].Name;
                    var enable = !state.RowSecurity[table];
                    sql = $"ALTER TABLE public.{table} {(enable ? "ENABLE" : "DISABLE")} ROW LEVEL SECURITY";
                    description = $"{(enable ? "enable" : "disable")} row-level security on {table}";
                    state = state with { RowSecurity = state.RowSecurity.SetItem(table, enable) };
                    break;
                }
            case < 8:
                {
                    var table = Tables[_random.Next(Tables.Length)].Name;
                    var variant = state.MemberPolicy[table] == 'A' ? 'B' : 'A';
                    sql = $"DROP POLICY members ON public.{table}; {MemberPolicy(table, variant)}";
                    description = $"policy {variant} on {table}";
                    state = state with { MemberPolicy = state.MemberPolicy.SetItem(table, variant) };
                    break;
                }
            default:
                {
                    const string table = "chaos_temp";
                    sql = $"DROP TABLE public.{table}; {TableSql(table)}";
                    description = $"drop and recreate {table}";
                    recreates = true;
                    state = state with
                    {
                        RowSecurity = state.RowSecurity.SetItem(table, true),
                        MemberPolicy = state.MemberPolicy.SetItem(table, 'A'),
                        TempIncarnation = state.TempIncarnation + 1,
                    };
                    break;
                }
        }
        await using (var connection = await database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var command = new NpgsqlCommand(sql, connection, transaction))
                await command.ExecuteNonQueryAsync();
            await using (var control = new NpgsqlCommand($"INSERT INTO public.{ControlTable} VALUES ($1, $2)", connection, transaction))
            {
                control.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seq });
                control.Parameters.Add(new NpgsqlParameter<string> { TypedValue = description });
                await control.ExecuteNonQueryAsync();
            }
            var oid = recreates ? await TempOidAsync(connection, transaction) : 0;
            await transaction.CommitAsync();
            if (recreates)
                _tempOids.Add(oid);
        }
        State = state;
        var done = new ChaosControl(seq, description, state, recreates);
        _controls.Add(done);
        return done;
    }

    private static async Task<uint> TempOidAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        await using var command = new NpgsqlCommand("SELECT 'public.chaos_temp'::regclass::oid", connection, transaction);
        return (uint)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// One writer: random inserts, updates (sometimes moving a row to another organization) and deletes of its own rows
    /// (ids it alone writes) in all tables, one or two rows per transaction, each with a new globally unique version.
    /// </summary>
    public async Task WriteAsync(int writer, int writers, int maxWrites, CancellationToken stop)
    {
        var random = new Random(seed * 31 + writer);
        var own = Tables.ToDictionary(t => t.Name, _ => new List<long>());
        long next = writer + writers;
        await using var connection = await database.OpenAsync();
        for (var written = 0; written < maxWrites && !stop.IsCancellationRequested;)
        {
            var rows = random.Next(4) == 0 ? 2 : 1;
            var statements = new List<string>();
            var table = Tables[random.Next(10) switch { < 5 => 0, < 8 => 1, _ => 2 }].Name;
            var ids = own[table];
            for (var i = 0; i < rows; i++)
            {
                var version = Interlocked.Increment(ref _version);
                var organization = random.Next(Organizations);
                var op = ids.Count < 3 ? 0 : random.Next(10);
                if (op < 4)
                {
                    var id = next;
                    next += writers;
                    ids.Add(id);
                    statements.Add(string.Create(CultureInfo.InvariantCulture, $"INSERT INTO public.{table} VALUES ({id}, {organization}, 'v{version}', {version}) {Returning}"));
                }
                else if (op < 8)
                {
                    var id = ids[random.Next(ids.Count)];
                    statements.Add(string.Create(CultureInfo.InvariantCulture,
                        $"UPDATE public.{table} SET organization_id = {(random.Next(3) == 0 ? organization.ToString(CultureInfo.InvariantCulture) : "organization_id")}, body = 'v{version}', version = {version} WHERE id = {id} {Returning}"));
                }
                else
                {
                    var index = random.Next(ids.Count);
                    statements.Add(string.Create(CultureInfo.InvariantCulture, $"DELETE FROM public.{table} WHERE id = {ids[index]}"));
                    ids.RemoveAt(index);
                }
            }
            try
            {
                await using var command = new NpgsqlCommand($"BEGIN; {string.Join("; ", statements.Distinct())}; COMMIT;", connection);
                var versions = new List<ChaosVersion>();
                await using (var reader = await command.ExecuteReaderAsync(stop))
                {
                    do
                    {
                        while (await reader.ReadAsync(stop))
                        {
                            versions.Add(new ChaosVersion(reader.GetInt64(0), table, reader.GetInt64(1), reader.GetInt32(2),
                                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetFieldValue<uint>(4)));
                        }
                    }
                    while (await reader.NextResultAsync(stop));
                }
                // Every statement (COMMIT included) ran: these versions are committed.
                lock (_committed)
                    _committed.AddRange(versions);
                Interlocked.Add(ref _writes, rows);
                written += rows;
            }
            catch (PostgresException)
            {
                // The table was dropped and recreated under the statement: that write is lost, as for any client.
                await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync(CancellationToken.None);
                own[table].Clear();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
        }
    }
}
