using System.Diagnostics;
using Npgsql;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// Delivery under row-level security: S subscribers of a table whose SELECT policy gives each organization its rows
/// (<c>id % G</c>), M changes written as fast as possible (transactions of 10 rows); deliveries/s from the first write to
/// the last delivery. Two cases: (a) the S subscribers in G claim sets (a token per organization), (b) one claim set per
/// user (<c>sub</c>) with a membership-table policy, as most apps write it. Each change reaches S/G subscribers.
/// Baseline: Supabase's method on the same data — for each change, one call that checks it for every subscriber as that
/// subscriber (role and claims set, the row selected under row-level security), as <c>realtime.apply_rls</c> does — timed
/// over fewer changes (the cost per change does not depend on how many) and reported as deliveries/s.
/// </summary>
public sealed class RlsScenario : IScenario
{
    private const string Table = "bench_rls_orgs";
    private const string Role = "bench_rls_reader";
    private const string Secret = "bench-rls-delivery-secret-of-at-least-32-bytes";
    private const int RowsPerTransaction = 10;

    public string Name => "rls";

    public string Baseline => "a per-subscriber policy check per change (Supabase's apply_rls method)";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var (subscribers, groups, changes, baselineChanges) = context.Quick ? (100, 10, 200, 20) : (1_000, 100, 2_000, 100);
        context.Details["subscribers"] = subscribers;
        context.Details["organizations"] = groups;
        context.Details["changes"] = changes;
        context.Details["baseline_changes"] = baselineChanges;
        await BenchTables.CreateAsync(db, Table);
        await db.ExecuteAsync($"""
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Role}') THEN CREATE ROLE {Role} NOLOGIN; END IF; END $$;
            GRANT SELECT ON {Table} TO {Role};
            ALTER TABLE {Table} ENABLE ROW LEVEL SECURITY;
            DROP TABLE IF EXISTS bench_rls_members;
            CREATE TABLE bench_rls_members (user_id text NOT NULL, organization int NOT NULL, PRIMARY KEY (user_id, organization));
            INSERT INTO bench_rls_members SELECT 'user-' || s, s % {groups} FROM generate_series(0, {subscribers - 1}) s;
            GRANT SELECT ON bench_rls_members TO {Role};
            """);

        var byOrganization = new Case("100 claim sets", s => Token($"org-{s % groups}", organization: s % groups),
            $"id % {groups} = (auth.jwt() ->> 'organization')::int");
        var byUser = new Case("a claim set per user", s => Token($"user-{s}", organization: null),
            $"EXISTS (SELECT 1 FROM bench_rls_members m WHERE m.user_id = auth.jwt() ->> 'sub' AND m.organization = id % {groups})");
        if (context.Quick)
            byOrganization = byOrganization with { Name = $"{groups} claim sets" };

        var results = new List<CaseResult>();
        var first = 1;
        await using (var server = await SluiceServer.StartAsync(db, Table, extraArguments: ["--jwt-secret", Secret, "--authenticated-role", Role]))
        {
            await BenchTables.EnableAsync(db, Table);
            foreach (var @case in new[] { byOrganization, byUser })
            {
                // auth.jwt() exists once the server installed its SQL functions.
                await db.ExecuteAsync($"DROP POLICY IF EXISTS by_case ON {Table}; CREATE POLICY by_case ON {Table} FOR SELECT TO {Role} USING ({@case.Policy})");
                var (rate, complete) = await MeasureSluiceAsync(context, server, @case, subscribers, groups, changes, first);
                first += changes + RowsPerTransaction;
                var baseline = await MeasureBaselineAsync(context, @case, subscribers, groups, baselineChanges, first);
                first += baselineChanges;
                context.Details[$"{Key(@case)}_sluice_deliveries_per_second"] = rate;
                context.Details[$"{Key(@case)}_baseline_deliveries_per_second"] = baseline;
                results.Add(new CaseResult($"{subscribers:N0} subscribers in {@case.Name}", "deliveries/s", rate, baseline, HigherIsBetter: true, complete));
            }
        }
        return results;
    }

    private static string Key(Case @case) => @case.Name.Replace(' ', '_');

    private static async Task<(double Rate, bool Complete)> MeasureSluiceAsync(ScenarioContext context, ChildServer server, Case @case, int subscribers,
        int groups, int changes, int first)
    {
        var expected = (long)changes * subscribers / groups;
        var counter = DeliveryCounter.For(long.MaxValue);
        var clients = await ClientPool.OpenAsync(subscribers, async s =>
        {
            var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime?token=" + @case.TokenOf(s)), counter, latency: null);
            await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
            return client;
        });
        try
        {
            // Warm-up: one transaction, all delivered; the measured writes follow it.
            await BenchTables.InsertRangeAsync(context.Database, Table, first, first + RowsPerTransaction - 1);
            counter.SetTarget((long)RowsPerTransaction * subscribers / groups);
            if (!await counter.WaitAsync(context.Patience))
                throw new TimeoutException($"sluice ({@case.Name}): the warm-up deliveries did not arrive");
            counter.Reset(expected);
            first += RowsPerTransaction;

            ScenarioContext.Log($"sluice: {changes} changes → {subscribers:N0} subscribers in {@case.Name}");
            var start = Stopwatch.GetTimestamp();
            for (var t = 0; t < changes / RowsPerTransaction; t++)
                await BenchTables.InsertRangeAsync(context.Database, Table, first + t * RowsPerTransaction, first + (t + 1) * RowsPerTransaction - 1);
            var (delivered, seconds, complete) = await context.WaitAsync($"sluice {@case.Name}", counter, expected, start);
            return (delivered / seconds, complete);
        }
        finally
        {
            await ClientPool.CloseAsync(clients);
        }
    }

    /// <summary>
    /// Supabase's method, timed: the rows are written first (not timed); then for each change one call that, for every
    /// subscriber, sets its role and claims and selects the row under row-level security, as <c>realtime.apply_rls</c> does.
    /// </summary>
    private static async Task<double> MeasureBaselineAsync(ScenarioContext context, Case @case, int subscribers, int groups, int changes, int first)
    {
        await context.Database.ExecuteAsync($"""
            CREATE OR REPLACE FUNCTION bench_apply_rls(row_id int, claims text[]) RETURNS int LANGUAGE plpgsql AS $f$
            DECLARE visible int := 0; seen boolean; c text; server_role text := current_user;
            BEGIN
              FOREACH c IN ARRAY claims LOOP
                PERFORM set_config('role', '{Role}', true);
                PERFORM set_config('request.jwt.claims', c, true);
                EXECUTE 'SELECT EXISTS (SELECT 1 FROM {Table} WHERE id = $1)' INTO seen USING row_id;
                PERFORM set_config('role', server_role, true);
                IF seen THEN visible := visible + 1; END IF;
              END LOOP;
              RETURN visible;
            END $f$;
            """);
        await BenchTables.InsertRangeAsync(context.Database, Table, first, first + changes - 1);
        var claims = Enumerable.Range(0, subscribers).Select(@case.ClaimsOf).ToArray();

        ScenarioContext.Log($"baseline: {changes} changes × {subscribers:N0} subscribers in {@case.Name}, one check each");
        await using var connection = await context.Database.DataSource.OpenConnectionAsync();
        long visible = 0;
        var start = Stopwatch.GetTimestamp();
        for (var id = first; id < first + changes; id++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var check = new NpgsqlCommand("SELECT bench_apply_rls($1, $2)", connection, transaction);
            check.Parameters.AddWithValue(id);
            check.Parameters.AddWithValue(claims);
            visible += (int)(await check.ExecuteScalarAsync())!;
            await transaction.RollbackAsync();
        }
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var expected = (long)changes * subscribers / groups;
        if (visible != expected)
            throw new InvalidOperationException($"baseline ({@case.Name}): {visible} visible deliveries, expected {expected}");
        return visible / seconds;
    }

    /// <summary>An HS256 token (one hour) and its claims without <c>exp</c>, as the baseline sets them.</summary>
    private static (string Token, string Claims) Token(string subject, int? organization)
    {
        var claims = organization is { } org
            ? $$"""{"sub":"{{subject}}","role":"{{Role}}","organization":{{org}}}"""
            : $$"""{"sub":"{{subject}}","role":"{{Role}}"}""";
        return (BenchTokens.Hs256(Secret, claims), claims);
    }

    /// <summary>One case: the subscribers' tokens (and the same claims for the baseline) and the policy.</summary>
    private sealed record Case(string Name, Func<int, (string Token, string Claims)> Credentials, string Policy)
    {
        public string TokenOf(int subscriber) => Credentials(subscriber).Token;

        public string ClaimsOf(int subscriber) => Credentials(subscriber).Claims;
    }
}
