using System.Globalization;
using CsCheck;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Tests.Auth;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.RowSecurity.Chaos;

/// <summary>
/// Issue 15's property: whatever the interleaving of writers over several organizations, membership and policy changes,
/// row-level security switched on and off, a table dropped and recreated, a REPLICA IDENTITY DEFAULT table, and
/// subscribers on both protocols that are cut and resume (or start over with a snapshot), PostgreSQL agrees with every
/// delivery (<see cref="ChaosOracle"/>): no subscriber gets a row its role and claims could not SELECT at some moment
/// between the commit and the delivery, and every row it could SELECT throughout arrives. A few seeds in CI; set
/// <c>SLUICE_RLS_CHAOS_RUNS</c> (and <c>SLUICE_RLS_CHAOS_WRITES</c>, writes per writer) for a long run. On failure CsCheck
/// prints the seed; rerun with <c>CsCheck_Seed=…</c> for the same schedule (not the same thread interleaving).
/// </summary>
/// <remarks>
/// The oracle's ground truth is what the writers themselves committed (<see cref="ChaosWorld.Committed"/>); the observer,
/// whose role bypasses row-level security, must receive every committed version, except changes of a since-dropped
/// incarnation of <c>chaos_temp</c> that it was told were withheld. Each run prints the observer's commit-to-arrival lag:
/// the width of the "between commit and delivery" window the safety rule allows.
/// </remarks>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class RowSecurityChaosTests(PostgresFixture postgres, ITestOutputHelper output) : IDisposable
{
    private const int Writers = 3;
    private const int MarkerSeq = 1_000_000;

    private static readonly int Runs = EnvironmentNumber("SLUICE_RLS_CHAOS_RUNS", 2);
    private static readonly int WritesPerWriter = EnvironmentNumber("SLUICE_RLS_CHAOS_WRITES", 150);

    /// <summary>Writers stop after their writes or after this long, whichever comes first: bounds a CI run.</summary>
    private static readonly TimeSpan WriteBudget = TimeSpan.FromSeconds(EnvironmentNumber("SLUICE_RLS_CHAOS_SECONDS", 12));

    private readonly TestTokens _tokens = new();

    /// <summary>Set <c>SLUICE_RLS_CHAOS_SEED</c> to run one schedule printed by an earlier run ("seed N").</summary>
    private static readonly int Seed = EnvironmentNumber("SLUICE_RLS_CHAOS_SEED", 0);

    [Fact]
    public async Task Every_delivery_is_one_postgres_lets_the_subscriber_select()
    {
        if (Seed > 0)
        {
            for (var run = 0; run < Runs; run++)
                await RunAsync(Seed);
            return;
        }
        await Gen.Int[1, 1_000_000].SampleAsync(RunAsync, iter: Runs, threads: 1, print: seed => $"seed {seed}");
    }

    private async Task RunAsync(int seed)
    {
        await using var database = await postgres.CreateDatabaseAsync();
        await ChaosWorld.CreateRolesAsync(database);
        await using var server = await ServerHandle.StartAsync(database,
            "--jwt-secret", TestTokens.Secret, "--authenticated-role", ChaosWorld.Member, "--anonymous-role", ChaosWorld.Visitor,
            "--retention-changes", "10000000", "--max-connections-per-ip", "1000");
        var world = new ChaosWorld(database, seed);
        await world.SetupAsync();
        var random = new Random(seed);

        var groups = new List<ChaosGroup> { new("anonymous", ChaosWorld.Visitor, $$"""{"role":"{{ChaosWorld.Visitor}}"}""", null) };
        var tokens = new Dictionary<string, string>();
        foreach (var user in ChaosWorld.Users)
        {
            var home = world.HomeOrganization[user];
            tokens[user] = _tokens.Hs256(new Dictionary<string, object> { ["sub"] = user, ["home_org"] = home }, DateTime.UtcNow.AddHours(1));
            groups.Add(new ChaosGroup(user, ChaosWorld.Member, string.Create(CultureInfo.InvariantCulture, $$"""{"home_org":{{home}},"sub":"{{user}}"}"""), user));
        }
        var observerToken = _tokens.Hs256(new Dictionary<string, object> { ["sub"] = "observer", ["role"] = ChaosWorld.Observer }, DateTime.UtcNow.AddHours(1));

        Uri Url() => server.HttpBase;
        var observer = new ChaosSubscriber("observer", Wire.Native, observerToken, "observer", Url);
        // Both protocols; u1 on both (one access group across protocols); the anonymous role on a random one.
        var anonymousWire = random.Next(2) == 0 ? Wire.Native : Wire.Supabase;
        var subscribers = new List<ChaosSubscriber>
        {
            new("native-u1", Wire.Native, tokens["u1"], "u1", Url),
            new("supabase-u1", Wire.Supabase, tokens["u1"], "u1", Url),
            new("supabase-u2", Wire.Supabase, tokens["u2"], "u2", Url),
            new("native-u3", Wire.Native, tokens["u3"], "u3", Url),
            new($"{anonymousWire.ToString().ToLowerInvariant()}-anonymous", anonymousWire, null, "anonymous", Url),
        };
        await observer.StartAsync();
        foreach (var subscriber in subscribers)
            await subscriber.StartAsync();

        using (var stop = new CancellationTokenSource(WriteBudget))
        using (var stopChaos = new CancellationTokenSource())
        {
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => world.WriteAsync(w, Writers, WritesPerWriter, stop.Token))).ToList();
            var control = Task.Run(() => ControlLoopAsync(world, seed, stopChaos.Token));
            var cuts = subscribers.Select((s, i) => Task.Run(() => CutLoopAsync(world, s, seed * 13 + i, stopChaos.Token))).ToList();
            await Task.WhenAll(writers);
            await stopChaos.CancelAsync();
            await control;
            await Task.WhenAll(cuts);
        }

        await database.ExecuteAsync($"INSERT INTO public.{ChaosWorld.ControlTable} VALUES ({MarkerSeq}, 'end')");
        await observer.WaitForMarkerAsync(MarkerSeq);
        foreach (var subscriber in subscribers)
            await subscriber.WaitForMarkerAsync(MarkerSeq);

        await using var oracleDatabase = await postgres.CreateDatabaseAsync();
        var oracle = new ChaosOracle(world, observer, subscribers, groups);
        await oracle.JudgeAsync(oracleDatabase);

        var problems = subscribers.Append(observer).SelectMany(s => s.Problems).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: {world.Writes} writes, {oracle.Changes} changes, {world.Controls.Count} control events ({oracle.States} states), " +
            $"{subscribers.Count} subscribers, {subscribers.Sum(s => s.Cuts)} cuts; checked {oracle.DeliveriesChecked} deliveries, " +
            $"{oracle.SnapshotRowsChecked} snapshot rows, {oracle.RequirementsChecked} required arrivals ({oracle.WithheldAsDesigned} withheld with access_check_failed as designed, " +
            $"{oracle.ContainedInSnapshot} contained in a snapshot they follow), " +
            $"{world.Committed.Count} committed versions ({oracle.ObserverWithheldAsDesigned} of dropped incarnations withheld from the observer); " +
            $"{oracle.Violations.Count} violations, {problems.Count} run problems"));
        var lags = observer.Received.Where(d => d.Kind == ChaosDeliveryKind.Change).Select(d => (d.At - d.CommittedAt!.Value).TotalMilliseconds).Order().ToList();
        if (lags.Count > 0)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  observer: commit to arrival p50 {lags[lags.Count / 2]:F0} ms, p99 {lags[lags.Count * 99 / 100]:F0} ms, max {lags[^1]:F0} ms"));
        foreach (var control in world.Controls)
            output.WriteLine($"  control {control.Seq} at {control.CommittedAt:HH:mm:ss.ffffff}: {control.Description}");
        foreach (var (reason, count) in subscribers.SelectMany(s => s.Received).Where(d => d.Kind == ChaosDeliveryKind.Withheld)
                     .GroupBy(d => d.Type![(d.Type!.IndexOf(" on ", StringComparison.Ordinal) + 1)..]).Select(g => (g.Key, g.Count())))
            output.WriteLine($"  access_check_failed {count}×: …{reason}");
        Assert.True(problems.Count == 0 && oracle.Violations.Count == 0,
            $"seed {seed}: {problems.Count} run problems:\n{string.Join("\n", problems.Take(20))}\n{oracle.Violations.Count} violations:\n{string.Join("\n", oracle.Violations.Take(30))}");
    }

    /// <summary>A control event every few dozen writes, one at a time.</summary>
    private static async Task ControlLoopAsync(ChaosWorld world, int seed, CancellationToken stop)
    {
        var random = new Random(seed ^ 0x5EED);
        while (!stop.IsCancellationRequested)
        {
            if (!await WaitForWritesAsync(world, world.Writes + random.Next(10, 40), stop))
                return;
            await world.ControlAsync();
        }
    }

    /// <summary>Cuts the subscriber every so many writes; it comes back at once or after some more writes, native ones sometimes with a snapshot.</summary>
    private static async Task CutLoopAsync(ChaosWorld world, ChaosSubscriber subscriber, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        while (!stop.IsCancellationRequested)
        {
            if (!await WaitForWritesAsync(world, world.Writes + random.Next(30, 120), stop))
                return;
            await subscriber.CutAndReturnAsync(withSnapshot: subscriber.Wire == Wire.Native && random.Next(4) == 0);
        }
    }

    /// <summary>False when stopped first. Polls the writers' progress (no timing is asserted).</summary>
    private static async Task<bool> WaitForWritesAsync(ChaosWorld world, int target, CancellationToken stop)
    {
        while (world.Writes < target)
        {
            if (stop.IsCancellationRequested)
                return false;
            await Task.Delay(10, CancellationToken.None);
        }
        return !stop.IsCancellationRequested;
    }

    private static int EnvironmentNumber(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    public void Dispose() => _tokens.Dispose();
}
