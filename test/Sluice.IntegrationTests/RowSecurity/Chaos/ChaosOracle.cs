using System.Globalization;
using Npgsql;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity.Chaos;

/// <summary>Who a group is to PostgreSQL: the role and the claims its subscribers' connections run with.</summary>
public sealed record ChaosGroup(string Name, string Role, string ClaimsJson, string? Subject);

/// <summary>
/// Judges a chaos run with PostgreSQL itself as the oracle. Every policy state the run went through (initial, then one
/// per control event, ordered by commit time) is rebuilt in a separate database — same roles, same policy text, the
/// memberships and row-level security of that state, every row version written — and each group's <c>SELECT</c> there
/// says which row versions it admits. Then:
/// <list type="bullet">
/// <item>safety: every row version a subscriber was sent (record, old record, snapshot row) is admitted for its group in a
/// state in force at some moment between the change's commit and its arrival;</item>
/// <item>liveness: every change in a subscriber's unbroken coverage whose row version is admitted in every state from its
/// commit to the moment the subscriber passed it arrives, in the right shape — or its transaction was announced withheld
/// with <c>access_check_failed</c> where the design withholds (a key-only old row, a table dropped since).</item>
/// </list>
/// Commit order between a control event and a concurrent write is only defined by PostgreSQL up to their commit instants,
/// so a state that ended within <see cref="Tolerance"/> before a commit still counts as "at commit".
/// </summary>
public sealed class ChaosOracle(ChaosWorld world, ChaosSubscriber observer, IReadOnlyList<ChaosSubscriber> subscribers, IReadOnlyList<ChaosGroup> groups)
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(5);

    /// <summary>Row versions by their (globally unique) version number.</summary>
    private readonly Dictionary<long, (string Table, long Id, int Organization, string? Body, int Incarnation)> _versions = [];

    /// <summary>The data changes as committed (from the observer, whose role bypasses row-level security), in commit order.</summary>
    private readonly List<(ChaosDelivery Change, long? NewVersion, long? OldVersion, int Incarnation)> _changes = [];

    /// <summary>[state][group][table]: the versions that group may SELECT in that state.</summary>
    private readonly List<Dictionary<string, Dictionary<string, HashSet<long>>>> _admitted = [];

    /// <summary>The old version of each UPDATE/DELETE, by (table, offset).</summary>
    private readonly Dictionary<(string Table, string Offset), long> _oldVersions = [];

    private DateTime[] _stateStarts = [];

    public List<string> Violations { get; } = [];
    public int DeliveriesChecked { get; private set; }
    public int SnapshotRowsChecked { get; private set; }
    public int RequirementsChecked { get; private set; }
    public int WithheldAsDesigned { get; private set; }

    /// <summary>Required INSERTs and UPDATEs after a snapshot's offset whose new version the snapshot already held (so not sent again).</summary>
    public int ContainedInSnapshot { get; private set; }

    /// <summary>Versions of a since-dropped incarnation of <c>chaos_temp</c> withheld from the observer (by design).</summary>
    public int ObserverWithheldAsDesigned { get; private set; }
    public int States => _stateStarts.Length;
    public int Changes => _changes.Count;

    public async Task JudgeAsync(TestDatabase oracleDatabase)
    {
        ReadGroundTruth();
        await EvaluateStatesAsync(oracleDatabase);
        foreach (var subscriber in subscribers)
        {
            CheckSafety(subscriber);
            CheckLiveness(subscriber);
        }
    }

    /// <summary>
    /// Control events' commit instants and each change's versions from the observer's stream; every row version from the
    /// writers' own record, against which the observer's stream is checked (it must carry every committed version).
    /// </summary>
    private void ReadGroundTruth()
    {
        var received = observer.Received;
        foreach (var delivery in received)
        {
            if (delivery.Kind == ChaosDeliveryKind.Change && delivery.Table == ChaosWorld.ControlTable
                && delivery.Record!.Value.GetProperty("seq").GetInt32() is var seq && seq >= 1 && seq <= world.Controls.Count)
            {
                world.Controls[seq - 1].CommittedAt = delivery.CommittedAt!.Value;
                world.Controls[seq - 1].CommitLsn = delivery.CommitLsn;
            }
        }
        var missing = world.Controls.Where(c => c.CommitLsn == 0).Select(c => c.Seq).ToList();
        if (missing.Count > 0)
            Violations.Add($"the observer never received control events {string.Join(", ", missing)}");
        _stateStarts = [DateTime.MinValue, .. world.Controls.Select(c => c.CommittedAt)];

        // Every version as its writer committed it: the ground truth (the observer's stream is checked against it below).
        foreach (var committed in world.Committed)
        {
            var incarnation = committed.Table == "chaos_temp" ? IndexOf(world.TempOids, committed.TableOid) : 0;
            if (incarnation < 0)
                Violations.Add($"a writer committed version {committed.Version} into a chaos_temp whose OID {committed.TableOid} no control event made");
            _versions[committed.Version] = (committed.Table, committed.Id, committed.Organization, committed.Body, incarnation);
        }

        var recreations = world.Controls.Where(c => c.RecreatesTemp).Select(c => c.CommitLsn).ToList();
        var current = ChaosWorld.Tables.ToDictionary(t => t.Name, _ => new Dictionary<long, long>());
        var currentIncarnation = 0;
        var observed = new HashSet<long>();
        foreach (var delivery in received)
        {
            if (delivery.Kind != ChaosDeliveryKind.Change || delivery.Table == ChaosWorld.ControlTable || delivery.Table is null)
                continue;
            var table = delivery.Table;
            var incarnation = recreations.Count(lsn => lsn < delivery.CommitLsn);
            if (table == "chaos_temp" && incarnation != currentIncarnation)
            {
                current[table].Clear();
                currentIncarnation = incarnation;
            }
            long? newVersion = ChaosDelivery.Version(delivery.Record);
            var oldVersion = ChaosDelivery.Version(delivery.Old);
            var id = ChaosDelivery.Id(delivery.Record) ?? ChaosDelivery.Id(delivery.Old);
            if (oldVersion is null && delivery.Type is "UPDATE" or "DELETE" && id is { } key && current[table].TryGetValue(key, out var before))
                oldVersion = before; // REPLICA IDENTITY DEFAULT: the old row is known from the history
            if (newVersion is { } version)
            {
                observed.Add(version);
                if (!_versions.TryGetValue(version, out var written))
                    Violations.Add($"the observer received a version no writer committed: {delivery}");
                else if (written.Table != table || written.Id != id || (table == "chaos_temp" && written.Incarnation != incarnation)
                         || written.Organization != delivery.Record!.Value.GetProperty("organization_id").GetInt32())
                    Violations.Add($"the observer received version {version} unlike its commit ({written}): {delivery}");
                current[table][id!.Value] = version;
            }
            else if (id is { } deleted)
            {
                current[table].Remove(deleted);
            }
            if (oldVersion is { } known)
                _oldVersions[(table, delivery.Offset!)] = known;
            _changes.Add((delivery, newVersion, oldVersion, incarnation));
        }

        // The observer's role bypasses row-level security: it must receive every committed version, except the changes
        // of an incarnation of chaos_temp that was dropped before they were dispatched — withheld by design (no policy or
        // privilege can be checked any more), and then the observer was told so for a transaction of that incarnation.
        var withheldTempLsns = received.Where(d => d.Kind == ChaosDeliveryKind.Withheld && d.Offset is not null && d.Table is null or "chaos_temp")
            .Select(d => d.CommitLsn).ToList();
        foreach (var (version, row) in _versions.OrderBy(v => v.Key))
        {
            if (observed.Contains(version))
                continue;
            if (row.Table == "chaos_temp" && row.Incarnation < recreations.Count)
            {
                var born = row.Incarnation == 0 ? 0UL : recreations[row.Incarnation - 1];
                var dropped = recreations[row.Incarnation];
                if (withheldTempLsns.Any(lsn => lsn > born && lsn < dropped))
                {
                    ObserverWithheldAsDesigned++;
                    continue;
                }
            }
            Violations.Add($"GAP: the observer never received version {version} ({row}), nor access_check_failed for a transaction of its table before it was dropped");
        }
    }

    private static int IndexOf(IReadOnlyList<uint> oids, uint oid)
    {
        for (var i = 0; i < oids.Count; i++)
        {
            if (oids[i] == oid)
                return i;
        }
        return -1;
    }

    /// <summary>Rebuilds each state in the oracle database and asks PostgreSQL what each group may SELECT.</summary>
    private async Task EvaluateStatesAsync(TestDatabase oracle)
    {
        await oracle.ExecuteAsync("""
            CREATE SCHEMA auth;
            GRANT USAGE ON SCHEMA auth TO PUBLIC;
            CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE
              AS $fn$ SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $fn$;
            CREATE TABLE public.chaos_members (user_id text NOT NULL, organization_id int NOT NULL, PRIMARY KEY (user_id, organization_id));
            """);
        await oracle.ExecuteAsync($"GRANT SELECT ON public.chaos_members TO {ChaosWorld.Member}");
        foreach (var table in ChaosWorld.Tables)
        {
            // One row per version (the primary key is the version: many versions of one id coexist here).
            await oracle.ExecuteAsync($"""
                CREATE TABLE public.{table.Name} (id bigint NOT NULL, organization_id int NOT NULL, body text, version bigint PRIMARY KEY);
                GRANT SELECT ON public.{table.Name} TO {ChaosWorld.Member}, {ChaosWorld.Visitor};
                {ChaosWorld.VisitorPolicy(table.Name)};
                """);
        }

        await using var connection = await oracle.OpenAsync();
        await CopyVersionsAsync(connection, table => table != "chaos_temp", incarnation: -1);
        var states = new List<ChaosState> { world.InitialState };
        states.AddRange(world.Controls.Select(c => c.After));
        var loadedIncarnation = -1;
        foreach (var state in states)
        {
            await ExecuteAsync(connection, "TRUNCATE public.chaos_members");
            foreach (var (user, organization) in state.Members)
                await ExecuteAsync(connection, string.Create(CultureInfo.InvariantCulture, $"INSERT INTO public.chaos_members VALUES ('{user}', {organization})"));
            foreach (var table in ChaosWorld.Tables)
            {
                await ExecuteAsync(connection, $"""
                    ALTER TABLE public.{table.Name} {(state.RowSecurity[table.Name] ? "ENABLE" : "DISABLE")} ROW LEVEL SECURITY;
                    DROP POLICY IF EXISTS members ON public.{table.Name};
                    {ChaosWorld.MemberPolicy(table.Name, state.MemberPolicy[table.Name])};
                    """);
            }
            if (state.TempIncarnation != loadedIncarnation)
            {
                await ExecuteAsync(connection, "TRUNCATE public.chaos_temp");
                await CopyVersionsAsync(connection, table => table == "chaos_temp", state.TempIncarnation);
                loadedIncarnation = state.TempIncarnation;
            }

            var byGroup = new Dictionary<string, Dictionary<string, HashSet<long>>>();
            foreach (var group in groups)
                byGroup[group.Name] = await SelectAsAsync(connection, group);
            _admitted.Add(byGroup);
        }
    }

    private async Task CopyVersionsAsync(NpgsqlConnection connection, Func<string, bool> tables, int incarnation)
    {
        foreach (var (version, row) in _versions)
        {
            if (!tables(row.Table) || (incarnation >= 0 && row.Incarnation != incarnation))
                continue;
            await using var insert = new NpgsqlCommand($"INSERT INTO public.{row.Table} VALUES ($1, $2, $3, $4)", connection);
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.Id });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.Organization });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)row.Body ?? DBNull.Value });
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version });
            await insert.ExecuteNonQueryAsync();
        }
    }

    private static async Task<Dictionary<string, HashSet<long>>> SelectAsAsync(NpgsqlConnection connection, ChaosGroup group)
    {
        var admitted = new Dictionary<string, HashSet<long>>();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var identity = new NpgsqlCommand(
            "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true)", connection, transaction))
        {
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.Role });
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.ClaimsJson });
            identity.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group.Subject ?? "" });
            await identity.ExecuteNonQueryAsync();
        }
        foreach (var table in ChaosWorld.Tables)
        {
            var versions = admitted[table.Name] = [];
            await using var select = new NpgsqlCommand($"SELECT version FROM public.{table.Name}", connection, transaction);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                versions.Add(reader.GetInt64(0));
        }
        await transaction.RollbackAsync();
        return admitted;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The state in force at <paramref name="moment"/>: the last control event committed by then.</summary>
    private int StateAt(DateTime moment)
    {
        var state = 0;
        for (var k = 1; k < _stateStarts.Length; k++)
        {
            if (_stateStarts[k] <= moment)
                state = k;
        }
        return state;
    }

    private bool Admitted(int state, string group, string table, long version) =>
        _admitted[state][group][table].Contains(version);

    private void CheckSafety(ChaosSubscriber subscriber)
    {
        var seen = new HashSet<(string, string)>();
        foreach (var delivery in subscriber.Received)
        {
            if (delivery.Table is null || delivery.Table == ChaosWorld.ControlTable || delivery.Kind == ChaosDeliveryKind.Withheld)
                continue;
            int from, to;
            var revealed = new List<long>();
            if (delivery.Kind == ChaosDeliveryKind.SnapshotRow)
            {
                SnapshotRowsChecked++;
                from = StateAt(delivery.RequestedAt);
                to = StateAt(delivery.At);
                revealed.Add(ChaosDelivery.Version(delivery.Record)!.Value);
            }
            else
            {
                DeliveriesChecked++;
                if (!seen.Add((delivery.Table, delivery.Offset!)))
                    Violations.Add($"{subscriber.Name} received {delivery.Table} @{delivery.Offset} twice");
                from = StateAt(delivery.CommittedAt!.Value - Tolerance);
                to = Math.Max(from, StateAt(delivery.At));
                if (ChaosDelivery.Version(delivery.Record) is { } newVersion)
                    revealed.Add(newVersion);
                if (delivery.Old is not null)
                {
                    if (ChaosDelivery.Version(delivery.Old) is { } oldVersion)
                        revealed.Add(oldVersion);
                    else if (_oldVersions.TryGetValue((delivery.Table, delivery.Offset!), out var keyOnly))
                        revealed.Add(keyOnly); // a key-only old row still tells which row it was
                }
            }
            foreach (var version in revealed)
            {
                if (!_versions.ContainsKey(version))
                {
                    Violations.Add($"{subscriber.Name} received a row version no one committed: {delivery}");
                    continue;
                }
                var admitted = false;
                for (var state = from; state <= to && !admitted; state++)
                    admitted = Admitted(state, subscriber.Group, delivery.Table, version);
                if (!admitted)
                    Violations.Add($"LEAK: {subscriber.Name} ({subscriber.Group}) received version {version} of {delivery.Table}, admitted in none of states {from}..{to}: {delivery}");
            }
        }
    }

    private void CheckLiveness(ChaosSubscriber subscriber)
    {
        var received = subscriber.Received;
        var withheldTransactions = received.Where(d => d.Kind == ChaosDeliveryKind.Withheld && d.Offset is not null).Select(d => d.CommitLsn).ToHashSet();
        foreach (var table in ChaosWorld.Tables)
        {
            if (!subscriber.Segments.TryGetValue(table.Name, out var segments))
                continue;
            var onTable = received.Where(d => d.Table == table.Name && d.Offset is not null).ToList();
            foreach (var (change, newVersion, oldVersion, _) in _changes)
            {
                if (change.Table != table.Name)
                    continue;
                var offset = change.Offset!;
                var segment = segments.FirstOrDefault(s => string.CompareOrdinal(offset, s.From) > 0 && s.To is not null && string.CompareOrdinal(offset, s.To) <= 0);
                if (segment.From is null)
                    continue;
                var delivered = onTable.FirstOrDefault(d => d.Kind == ChaosDeliveryKind.Change && d.Offset == offset);
                var passedAt = delivered?.At
                    ?? onTable.FirstOrDefault(d => string.CompareOrdinal(d.Offset, offset) >= 0)?.At
                    ?? subscriber.MarkerAt;
                var from = StateAt(change.CommittedAt!.Value - Tolerance);
                var to = Math.Max(from, StateAt(passedAt));
                bool Throughout(long? version) => version is { } v && Enumerable.Range(from, to - from + 1).All(s => Admitted(s, subscriber.Group, table.Name, v));
                bool Never(long? version) => version is not { } v || Enumerable.Range(from, to - from + 1).All(s => !Admitted(s, subscriber.Group, table.Name, v));

                string? required = change.Type switch
                {
                    "INSERT" when Throughout(newVersion) => "INSERT",
                    "UPDATE" when Throughout(newVersion) => "UPDATE",
                    "UPDATE" when table.FullIdentity && Never(newVersion) && Throughout(oldVersion) => "DELETE",
                    "DELETE" when Throughout(oldVersion) => "DELETE",
                    _ => null,
                };
                if (required is null)
                    continue;
                RequirementsChecked++;
                if (delivered is not null && delivered.Type == required
                    && (required == "DELETE" ? ChaosDelivery.Version(delivered.Old) is null || ChaosDelivery.Version(delivered.Old) == oldVersion : ChaosDelivery.Version(delivered.Record) == newVersion))
                    continue;
                // The segment began with a snapshot that already held this version: PostgreSQL made the transaction visible
                // before one that committed earlier in the WAL, which set the snapshot's offset (the stream goes on from the
                // first transaction the snapshot does not contain, and skips the ones it does). Exact for a new version; a
                // DELETE the snapshot contains cannot be told from a row it hid, so those are not excused.
                if (required != "DELETE" && delivered is null && newVersion is { } inSnapshot
                    && subscriber.SnapshotVersions.TryGetValue((table.Name, segment.From), out var snapshotVersions) && snapshotVersions.Contains(inSnapshot))
                {
                    ContainedInSnapshot++;
                    continue;
                }
                // By design a DELETE's key-only old row (REPLICA IDENTITY DEFAULT) cannot be judged: withheld with a code.
                if (withheldTransactions.Contains(change.CommitLsn) && !table.FullIdentity && change.Type == "DELETE")
                {
                    WithheldAsDesigned++;
                    continue;
                }
                Violations.Add($"MISS: {subscriber.Name} ({subscriber.Group}) should have received {required} of {table.Name} @{offset} " +
                    $"(admitted in states {from}..{to}), got {(delivered?.ToString() ?? (withheldTransactions.Contains(change.CommitLsn) ? "access_check_failed" : "nothing"))}; " +
                    $"segment ({segment.From}, {segment.To}] {(subscriber.SnapshotVersions.ContainsKey((table.Name, segment.From)) ? "began with a snapshot" : "began with a subscription or resume")}");
            }
        }
    }
}
