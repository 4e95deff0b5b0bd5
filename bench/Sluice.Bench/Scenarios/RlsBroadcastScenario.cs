using System.Diagnostics;
using System.Text.Json.Nodes;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Supabase's Broadcast from Database against <c>postgres_changes</c> under row-level security, on the same table, the same
/// writes and the same S subscribers in G claim sets (a token per organization, <c>organization = s % G</c>), all over the
/// Supabase protocol (Phoenix vsn 2.0.0, realtime-js 2.x's default). M changes are written as fast as they commit
/// (transactions of 10 rows) and deliveries/s are timed from the first write to the last delivery; each change reaches
/// S/G subscribers.
/// <list type="bullet">
/// <item>Database broadcasts (the measured case): a row trigger calls <c>realtime.broadcast_changes('org:' || id % G, …)</c>
/// as Supabase documents; subscriber s joins the private channel <c>realtime:org:&lt;s % G&gt;</c>, admitted by a SELECT
/// policy on <c>realtime.messages</c> (<c>realtime.topic() = 'org:' || auth.jwt() -&gt;&gt; 'organization'</c>); the
/// broadcasts arrive as binary kind-4 frames. The table is not in the publication (only <c>realtime.messages</c> is).</item>
/// <item>postgres_changes (the baseline): the trigger disabled and the table published; subscriber s joins
/// <c>realtime:org:&lt;s % G&gt;</c> (public) with a <c>postgres_changes</c> binding on the table, whose SELECT policy
/// gives each organization its rows (<c>id % G</c>), as the <c>rls</c> scenario's claim-set case does over the native
/// protocol.</item>
/// </list>
/// Every subscriber's own count is checked after each round (a heartbeat round trip first, so nothing is still queued):
/// exactly its organization's changes, nothing of another topic.
/// </summary>
public sealed class RlsBroadcastScenario : IScenario
{
    private const string Table = "bench_rls_broadcast";
    private const string Role = "bench_rls_broadcast_reader";
    private const string Policy = "bench_rls_broadcast_read";
    private const string Trigger = "bench_rls_broadcast_changes";
    private const string Secret = "bench-rls-broadcast-secret-of-at-least-32-bytes";
    private const int RowsPerTransaction = 10;

    /// <summary>realtime-js sends a heartbeat every 25 s; the server closes a socket that sent nothing for 60 s.</summary>
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(25);

    public string Name => "rls-broadcast";

    public string Baseline => "postgres_changes with row-level security, same table, writes and subscribers (Supabase protocol, vsn 2.0.0)";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var (subscribers, groups, changes) = context.Quick ? (100, 10, 200) : (1_000, 100, 2_000);
        context.Details["subscribers"] = subscribers;
        context.Details["organizations"] = groups;
        context.Details["changes"] = changes;
        await BenchTables.CreateAsync(db, Table);
        await db.ExecuteAsync($"""
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Role}') THEN CREATE ROLE {Role} NOLOGIN; END IF; END $$;
            GRANT SELECT ON {Table} TO {Role};
            ALTER TABLE {Table} ENABLE ROW LEVEL SECURITY;
            CREATE OR REPLACE FUNCTION {Trigger}() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
              PERFORM realtime.broadcast_changes('org:' || (COALESCE(NEW.id, OLD.id) % {groups})::text, TG_OP, TG_OP,
                                                 TG_TABLE_NAME, TG_TABLE_SCHEMA, NEW, OLD);
              RETURN NULL;
            END $f$;
            CREATE TRIGGER {Trigger} AFTER INSERT OR UPDATE OR DELETE ON {Table} FOR EACH ROW EXECUTE FUNCTION {Trigger}();
            """);

        var first = 1;
        await using var server = await SluiceServer.StartAsync(db, Table, extraArguments: ["--jwt-secret", Secret, "--authenticated-role", Role]);
        try
        {
            // auth.jwt() and realtime.messages exist once the server installed its SQL.
            await db.ExecuteAsync($"""
                CREATE POLICY by_organization ON {Table} FOR SELECT TO {Role} USING (id % {groups} = (auth.jwt() ->> 'organization')::int);
                DROP POLICY IF EXISTS {Policy} ON realtime.messages;
                CREATE POLICY {Policy} ON realtime.messages FOR SELECT TO {Role}
                  USING (realtime.messages.extension = 'broadcast' AND realtime.topic() = 'org:' || (auth.jwt() ->> 'organization'));
                """);

            // (a) Database broadcasts: the trigger writes realtime.messages; the table itself is not published.
            var broadcasts = await MeasureAsync(context, server, "database broadcasts", subscribers, groups, changes, first, isPrivate: true);
            first += changes + RowsPerTransaction;

            // (b) postgres_changes with row-level security on the same table, without the trigger.
            await db.ExecuteAsync($"ALTER TABLE {Table} DISABLE TRIGGER {Trigger}");
            await BenchTables.EnableAsync(db, Table);
            var postgresChanges = await MeasureAsync(context, server, "postgres_changes", subscribers, groups, changes, first, isPrivate: false);

            context.Details["database_broadcasts_deliveries_per_second"] = broadcasts.Rate;
            context.Details["postgres_changes_deliveries_per_second"] = postgresChanges.Rate;
            context.Details["private_join_seconds"] = broadcasts.JoinSeconds;
            context.Details["public_join_seconds"] = postgresChanges.JoinSeconds;
            // Writes alone vs first write → last delivery: when they are close, the case is bound by the commits (with the trigger, for broadcasts).
            context.Details["database_broadcasts_write_seconds"] = broadcasts.WriteSeconds;
            context.Details["database_broadcasts_seconds"] = broadcasts.Seconds;
            context.Details["postgres_changes_write_seconds"] = postgresChanges.WriteSeconds;
            context.Details["postgres_changes_seconds"] = postgresChanges.Seconds;
            return
            [
                new CaseResult($"{subscribers:N0} subscribers in {groups} claim sets: database broadcasts (private channels)", "deliveries/s",
                    broadcasts.Rate, postgresChanges.Rate, HigherIsBetter: true, broadcasts.Complete && postgresChanges.Complete),
            ];
        }
        finally
        {
            await db.ExecuteAsync($"DROP POLICY IF EXISTS {Policy} ON realtime.messages");
        }
    }

    /// <summary>A case's deliveries/s, whether all arrived, and how long the joins and the writes alone took.</summary>
    private sealed record Measured(double Rate, bool Complete, double JoinSeconds, double WriteSeconds, double Seconds);

    private static async Task<Measured> MeasureAsync(ScenarioContext context, ChildServer server, string what, int subscribers, int groups,
        int changes, int first, bool isPrivate)
    {
        var counter = DeliveryCounter.For(long.MaxValue);
        var serverBase = server.WebSocketUri("/");
        ScenarioContext.Log($"{what}: joining {subscribers:N0} {(isPrivate ? "private" : "public")} channels");
        var joinStart = Stopwatch.GetTimestamp();
        var clients = await ClientPool.OpenAsync(subscribers, async s =>
        {
            var organization = s % groups;
            var token = BenchTokens.Hs256(Secret, $$"""{"sub":"org-{{organization}}","role":"{{Role}}","organization":{{organization}}}""");
            var client = await PhoenixSubscriber.ConnectAsync(serverBase, token, $"realtime:org:{organization}", counter);
            await client.JoinAsync(JoinPayload(token, isPrivate));
            return client;
        });
        var joinSeconds = Stopwatch.GetElapsedTime(joinStart).TotalSeconds;
        ScenarioContext.Log($"{what}: {subscribers:N0} joined in {joinSeconds:F1} s");
        using var heartbeats = new Timer(_ =>
        {
            foreach (var client in clients)
                _ = client.HeartbeatAsync();
        }, null, HeartbeatInterval, HeartbeatInterval);
        try
        {
            // Warm-up: one transaction, all delivered and checked; the measured writes follow it.
            await BenchTables.InsertRangeAsync(context.Database, Table, first, first + RowsPerTransaction - 1);
            counter.SetTarget(Rows(first, first + RowsPerTransaction - 1, _ => true) * (subscribers / groups));
            if (!await counter.WaitAsync(context.Patience))
                throw new TimeoutException($"{what}: the warm-up deliveries did not arrive ({counter.Count})");
            await CheckEachAsync(what + " warm-up", clients, groups, first, first + RowsPerTransaction - 1, isPrivate);
            first += RowsPerTransaction;
            var last = first + changes - 1;
            var expected = Rows(first, last, _ => true) * (subscribers / groups);
            counter.Reset(expected);

            ScenarioContext.Log($"{what}: {changes} changes → {subscribers:N0} subscribers in {groups} claim sets");
            var start = Stopwatch.GetTimestamp();
            for (var t = 0; t < changes / RowsPerTransaction; t++)
                await BenchTables.InsertRangeAsync(context.Database, Table, first + t * RowsPerTransaction, first + (t + 1) * RowsPerTransaction - 1);
            var writeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var (delivered, seconds, complete) = await context.WaitAsync(what, counter, expected, start);
            if (complete)
                await CheckEachAsync(what, clients, groups, first, last, isPrivate);
            return new Measured(delivered / seconds, complete, joinSeconds, writeSeconds, seconds);
        }
        finally
        {
            await heartbeats.DisposeAsync();
            await ClientPool.CloseAsync(clients);
        }
    }

    /// <summary>
    /// After a heartbeat round trip per subscriber (all they were sent has arrived): each got exactly its organization's
    /// rows among ids <paramref name="first"/>..<paramref name="last"/>, of the kind the case delivers, and nothing else.
    /// Then the counts start again from zero.
    /// </summary>
    private static async Task CheckEachAsync(string what, List<PhoenixSubscriber> clients, int groups, int first, int last, bool broadcasts)
    {
        foreach (var chunk in clients.Chunk(100))
            await Task.WhenAll(chunk.Select(c => c.RoundTripAsync()));
        var wrong = new List<string>();
        for (var s = 0; s < clients.Count; s++)
        {
            var client = clients[s];
            var expected = Rows(first, last, id => id % groups == s % groups);
            var (got, other) = broadcasts ? (client.Broadcasts, client.Changes) : (client.Changes, client.Broadcasts);
            if (got != expected || other != 0 || client.Unexpected != 0 || client.Problem is not null)
                wrong.Add($"subscriber {s} ({client.Topic}): {got} of {expected}, {other} of the other kind, {client.Unexpected} unexpected{(client.Problem is { } p ? ", " + p : "")}");
            client.ResetCounts();
        }
        if (wrong.Count > 0)
            throw new InvalidOperationException($"{what}: {wrong.Count} subscribers did not get exactly their deliveries; first: {string.Join("; ", wrong.Take(5))}");
    }

    /// <summary>How many of ids <paramref name="first"/>..<paramref name="last"/> match <paramref name="rows"/>.</summary>
    private static long Rows(int first, int last, Func<int, bool> rows)
    {
        long count = 0;
        for (var id = first; id <= last; id++)
        {
            if (rows(id))
                count++;
        }
        return count;
    }

    /// <summary>The join realtime-js sends: a private channel for database broadcasts, a postgres_changes binding otherwise.</summary>
    private static JsonObject JoinPayload(string token, bool isPrivate) => new()
    {
        ["config"] = new JsonObject
        {
            ["broadcast"] = new JsonObject { ["self"] = false, ["ack"] = false },
            ["presence"] = new JsonObject { ["enabled"] = false },
            ["postgres_changes"] = isPrivate
                ? new JsonArray()
                : new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = Table }),
            ["private"] = isPrivate,
        },
        ["access_token"] = token,
    };
}
