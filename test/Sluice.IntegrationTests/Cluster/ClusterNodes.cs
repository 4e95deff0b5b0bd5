using System.Text.Json;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Cluster;

/// <summary>Three server processes (<c>dotnet sluice.dll --redis …</c>) on one database and one Redis.</summary>
public sealed class ClusterNodes : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private ClusterNodes(RedisServer redis, List<ServerProcess> nodes)
    {
        Redis = redis;
        Nodes = nodes;
    }

    public RedisServer Redis { get; }
    public IReadOnlyList<ServerProcess> Nodes { get; }
    public ServerProcess this[int index] => Nodes[index];

    public string Output => string.Join("\n", Nodes.Select((node, i) => $"--- node {i} ---\n{node.Output}")) + $"\n--- redis ---\n{Redis.Output}";

    public static Task<ClusterNodes> StartAsync(TestDatabase database, int count = 3, bool persistentRedis = false, params string[] extraArgs) =>
        StartAsync(database, count, persistentRedis, redisFor: null, extraArgs);

    /// <summary>Like the other overload; <paramref name="redisFor"/> gives node i's <c>--redis</c> (for example through a proxy).</summary>
    public static async Task<ClusterNodes> StartAsync(TestDatabase database, int count, bool persistentRedis, Func<RedisServer, int, string>? redisFor,
        params string[] extraArgs)
    {
        var redis = await RedisServer.StartAsync(persistentRedis);
        var nodes = new List<ServerProcess>();
        try
        {
            // One after the other: the first prepares the database (SQL API, slot, epoch) and takes the lead.
            for (var i = 0; i < count; i++)
                nodes.Add(await ServerProcess.StartAsync(database,
                    ["--redis", redisFor?.Invoke(redis, i) ?? redis.Configuration, "--node-id", $"node{i}", "--leader-poll-interval", "00:00:00.500", .. extraArgs]));
        }
        catch
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
            await redis.DisposeAsync();
            throw;
        }
        return new ClusterNodes(redis, nodes);
    }

    /// <summary>The node that streams from the slot, once exactly one does.</summary>
    public async Task<int> WaitForLeaderAsync(params int[] excluding)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var leaders = new List<int>();
            for (var i = 0; i < Nodes.Count; i++)
            {
                if (excluding.Contains(i) || !Nodes[i].IsRunning)
                    continue;
                try
                {
                    var stats = await Nodes[i].StatsAsync();
                    if (stats.GetProperty("capture").GetString() == "streaming")
                        leaders.Add(i);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
                {
                }
            }
            if (leaders.Count == 1)
                return leaders[0];
            await Task.Delay(100);
        }
        throw new TimeoutException("no single leader within " + Patience.TotalSeconds + " s\n" + Output);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            await node.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
