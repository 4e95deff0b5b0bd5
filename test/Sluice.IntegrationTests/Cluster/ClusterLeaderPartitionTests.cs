using System.Net;
using Sluice.IntegrationTests.Client;
using Sluice.IntegrationTests.Gapless;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Cluster;

/// <summary>
/// The leader alone loses Redis (its Redis connection goes through a proxy that is cut and then refuses): it gives the
/// capture lease up, a node that reaches Redis takes over, and clients of the other nodes keep getting every change.
/// When the partition heals, the old leader catches up and its clients resume.
/// </summary>
[Collection(IsolatedProcessesCollection.Name)]
public sealed class ClusterLeaderPartitionTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_leader_cut_off_from_Redis_steps_down_and_another_node_captures()
    {
        await using var database = await postgres.CreateDatabaseAsync();
        TcpProxy? proxy = null;
        await using var cluster = await ClusterNodes.StartAsync(database, 3, persistentRedis: false, (redis, node) =>
        {
            if (node != 0)
                return redis.Configuration;
            proxy = new TcpProxy(() => redis.Port);
            return $"127.0.0.1:{proxy.Port}";
        }, "--leader-step-down-after", "00:00:02");
        await using var _ = proxy!;
        try
        {
            await database.ExecuteAsync("CREATE TABLE public.partition (id bigint PRIMARY KEY)");
            await database.ExecuteAsync("SELECT enable_realtime('public', 'partition')");
            // Node 0 started first and took the lease.
            Assert.Equal(0, await cluster.WaitForLeaderAsync());
            await using var onLeader = await cluster[0].ConnectAsync();
            await using var onFollower = await cluster[2].ConnectAsync();
            await onLeader.SubscribeAsync("table:public.partition");
            await onFollower.SubscribeAsync("table:public.partition");
            await database.ExecuteAsync("INSERT INTO public.partition VALUES (1)");
            var first = Frames.Offset(await onLeader.NextChangeAsync());
            Assert.Equal(first, Frames.Offset(await onFollower.NextChangeAsync()));

            proxy!.Refusing = true;
            proxy.CutAll();
            for (var id = 2; id <= 4; id++)
                await database.ExecuteAsync("INSERT INTO public.partition VALUES ($1)", (long)id);
            // Delivered on node 2 only once node 0 gave the lease up and node 1 or 2 captures.
            var offsets = new List<string>();
            for (var id = 2L; id <= 4; id++)
            {
                var change = await onFollower.NextChangeAsync();
                Assert.Equal(id, Frames.Id(change));
                offsets.Add(Frames.Offset(change));
            }
            Assert.NotEqual(0, await cluster.WaitForLeaderAsync(excluding: 0));
            using (var ready = await cluster[0].Http.GetAsync(new Uri(cluster[0].HttpBase, "health/ready")))
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

            // The partition heals: node 0 reads the stream again and its client gets what it missed, once.
            proxy.Refusing = false;
            for (var id = 2L; id <= 4; id++)
            {
                var change = await onLeader.NextChangeAsync();
                Assert.Equal(id, Frames.Id(change));
                Assert.Equal(offsets[(int)id - 2], Frames.Offset(change));
            }
            await database.ExecuteAsync("INSERT INTO public.partition VALUES (5)");
            Assert.Equal(5, Frames.Id(await onLeader.NextChangeAsync()));
            Assert.Equal(5, Frames.Id(await onFollower.NextChangeAsync()));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"{ex.Message}\n{cluster.Output}", ex);
        }
    }
}
