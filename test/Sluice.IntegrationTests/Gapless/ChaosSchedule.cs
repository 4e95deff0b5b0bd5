using CsCheck;

namespace Sluice.IntegrationTests.Gapless;

/// <summary>
/// One random chaos run: <see cref="Seed"/> drives the writers' choices and each replica's join and cut points;
/// <see cref="Commits"/> is how many transactions the writers commit in total; <see cref="Kills"/> how many times
/// the server is killed with SIGKILL and restarted (0 for the in-process server).
/// </summary>
public sealed record ChaosSchedule(int Seed, int Replicas, int Preload, int Commits, int Kills)
{
    public const int Writers = 3;

    public static Gen<ChaosSchedule> Generator(int minKills, int maxKills) =>
        Gen.Select(Gen.Int[1, 1_000_000], Gen.Int[3, 4], Gen.Int[0, 2000], Gen.Int[1000, 2000], Gen.Int[minKills, maxKills],
            (seed, replicas, preload, commits, kills) => new ChaosSchedule(seed, replicas, preload, commits, kills));

    /// <summary>Replica <paramref name="index"/> joins once the writers committed this many transactions: the first
    /// two at the start, the others mid-run.</summary>
    public int JoinAt(int index) => index < 2 ? 0 : new Random(Seed + index).Next(50, Commits / 2);
}
