using HdrHistogram;
using Sluice.Bench.Clients;
using Sluice.Bench.Harness;
using Sluice.Bench.Results;

namespace Sluice.Bench.Scenarios;

/// <summary>
/// The row-level security window (docs/security.md, "When a change is judged"): a change is judged after its commit and
/// before it is queued, so a policy or membership change committing in between already applies to it. This measures
/// how long that can be under load: K single-row transactions per second for T seconds into a table with row-level
/// security, G access groups (tokens with different claims) among S subscribers; the time from just before the INSERT is
/// sent to the subscriber having the frame bounds commit → check from above. Baseline: the same load with row-level
/// security disabled (no checks; every subscriber then gets every row, G times the frames).
/// </summary>
public sealed class RlsWindowScenario : IScenario
{
    private const string Table = "bench_rls";
    private const string Role = "bench_rls_member";
    private const string Secret = "bench-rls-window-secret-of-at-least-32-bytes";

    public string Name => "rls-window";

    public string Baseline => "the same load without row-level security";

    public async Task<IReadOnlyList<CaseResult>> RunAsync(ScenarioContext context)
    {
        var db = context.Database;
        var (perSecond, seconds, subscribers, groups) = context.Quick ? (200, 5, 20, 10) : (1_000, 30, 100, 10);
        context.Details["rate_per_second"] = perSecond;
        context.Details["seconds"] = seconds;
        context.Details["subscribers"] = subscribers;
        context.Details["access_groups"] = groups;
        await BenchTables.CreateAsync(db, Table);
        await db.ExecuteAsync($"""
            DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Role}') THEN CREATE ROLE {Role} NOLOGIN; END IF; END $$;
            GRANT SELECT ON {Table} TO {Role};
            ALTER TABLE {Table} ENABLE ROW LEVEL SECURITY;
            """);

        HistogramBase withChecks, withoutChecks;
        await using (var server = await SluiceServer.StartAsync(db, Table, extraArguments: ["--jwt-secret", Secret, "--authenticated-role", Role]))
        {
            // auth.jwt() exists once the server installed its SQL functions.
            await db.ExecuteAsync($"CREATE POLICY by_group ON {Table} FOR SELECT TO {Role} USING (id % {groups} = (auth.jwt() ->> 'group')::int)");
            await BenchTables.EnableAsync(db, Table);
            withChecks = await MeasureAsync(context, server, "row-level security", subscribers, groups, perSecond, seconds, filtered: true);
            await db.ExecuteAsync($"ALTER TABLE {Table} DISABLE ROW LEVEL SECURITY");
            withoutChecks = await MeasureAsync(context, server, "no row-level security", subscribers, groups, perSecond, seconds, filtered: false);
        }
        return
        [
            Percentile("p50", withChecks, withoutChecks, 50),
            Percentile("p99", withChecks, withoutChecks, 99),
            Percentile("p99.9", withChecks, withoutChecks, 99.9),
            new CaseResult("max", "ms", Millis(withChecks.GetMaxValue()), Millis(withoutChecks.GetMaxValue()), HigherIsBetter: false),
        ];
    }

    private static async Task<HistogramBase> MeasureAsync(ScenarioContext context, ChildServer server, string who, int subscribers, int groups,
        int perSecond, int seconds, bool filtered)
    {
        var counter = DeliveryCounter.For(long.MaxValue);
        var latency = new LatencyRecorder();
        var clients = await ClientPool.OpenAsync(subscribers, async s =>
        {
            var token = Token(s % groups);
            var client = await SluiceSubscriber.ConnectAsync(server.WebSocketUri("/realtime?token=" + token), counter, latency);
            await client.SubscribeAsync(SluiceFrames.Subscribe(BenchTables.Channel(Table)));
            return client;
        });
        try
        {
            var warmUp = TimeSpan.FromSeconds(context.Quick ? 1 : 5);
            ScenarioContext.Log($"{who}: warm-up, {perSecond}/s for {warmUp.TotalSeconds} s");
            var warmRows = await PacedWriter.RunAsync(context.Database, BenchTables.SingleRowInsert(Table), perSecond, warmUp);
            counter.SetTarget(Expected(warmRows, subscribers, groups, filtered));
            if (!await counter.WaitAsync(context.Patience))
                throw new TimeoutException($"{who}: the warm-up deliveries did not arrive");
            counter.Reset(long.MaxValue);
            latency.Snapshot();

            ScenarioContext.Log($"{who}: {perSecond}/s for {seconds} s, {subscribers} subscribers in {groups} access groups");
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var rows = await PacedWriter.RunAsync(context.Database, BenchTables.SingleRowInsert(Table), perSecond, TimeSpan.FromSeconds(seconds));
            var expected = Expected(rows, subscribers, groups, filtered);
            counter.SetTarget(expected);
            var (delivered, _, complete) = await context.WaitAsync(who, counter, expected, start);
            context.Details[$"{who.Replace(' ', '_')}_delivered"] = delivered;
            context.Details[$"{who.Replace(' ', '_')}_complete"] = complete ? 1 : 0;
            return latency.Snapshot();
        }
        finally
        {
            await ClientPool.CloseAsync(clients);
        }
    }

    /// <summary>Deliveries of rows 1..<paramref name="rows"/>: to the subscribers of the row's group, or to all.</summary>
    private static long Expected(int rows, int subscribers, int groups, bool filtered)
    {
        if (!filtered)
            return (long)rows * subscribers;
        long total = 0;
        for (var s = 0; s < subscribers; s++)
        {
            var group = s % groups;
            total += Enumerable.Range(1, rows).Count(id => id % groups == group);
        }
        return total;
    }

    /// <summary>An HS256 token for the group (claims: sub, group; one hour).</summary>
    private static string Token(int group) => BenchTokens.Hs256(Secret, $$"""{"sub":"bench-{{group}}","group":{{group}}}""");

    private static CaseResult Percentile(string name, HistogramBase sluice, HistogramBase baseline, double percentile) =>
        new(name, "ms", Millis(sluice.GetValueAtPercentile(percentile)), Millis(baseline.GetValueAtPercentile(percentile)), HigherIsBetter: false);

    private static double Millis(long micros) => micros / 1000.0;
}
