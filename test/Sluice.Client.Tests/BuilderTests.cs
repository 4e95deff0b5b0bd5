using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

/// <summary>
/// Every setting of <see cref="SluiceClientBuilder"/> reaches the client it builds: the token provider's token, the heartbeat,
/// the reconnect policy (with the context of the lost connection), the serializer, the logger factory and
/// <see cref="SluiceClientBuilder.Configure"/>; and a table's <c>OnTruncate</c>.
/// </summary>
public sealed class BuilderTests
{
    [Fact]
    public async Task A_built_client_uses_every_setting_of_the_builder()
    {
        await using var server = await FakeServer.StartAsync();
        var policy = new RecordingPolicy();
        var serializer = new CountingSerializer();
        var loggers = new RecordingLoggerFactory();
        var tokens = 0;
        await using var client = new SluiceClientBuilder()
            .WithUrl(server.Url)
            .WithAccessTokenProvider(_ => ValueTask.FromResult<string?>($"token-{Interlocked.Increment(ref tokens)}"))
            .WithHeartbeat(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60))
            .WithReconnectPolicy(policy)
            .WithSerializer(serializer)
            .WithLoggerFactory(loggers)
            .Configure(options => options.FallbackAfter = null)
            .Build();
        var products = client.Table("public", "products");
        var seen = new Recorder<string>();
        products.OnInsert<Product>(p => seen.Add($"insert {p.Name}"));
        products.OnTruncate(() => seen.Add("truncate"));

        await client.StartAsync();
        var first = await server.NextConnectionAsync();
        Assert.Equal("?token=token-1", first.Query);
        await first.ReceiveSubscribeAsync();
        await first.AckAsync(Frames.Products);
        await first.SendAsync(Frames.Insert(Frames.Products, 1, new { id = 1, name = "Lamp", price = 9.5 }));
        await first.SendAsync(Frames.Truncate(Frames.Products, 2));
        await seen.WaitForCountAsync(2, "an insert and a truncate");
        Assert.Equal(["insert Lamp", "truncate"], seen.Items);
        Assert.True(serializer.Rows >= 1, "the row went through the configured serializer");
        Assert.Contains("Sluice.Client", loggers.Categories);

        // The connection is lost: the policy is asked, with what ended it, and the client comes back with a fresh token.
        first.Abort();
        var second = await server.NextConnectionAsync();
        Assert.Equal("?token=token-2", second.Query);
        var asked = Assert.Single(policy.Contexts);
        Assert.False(asked.Starting);
        Assert.Equal(0, asked.Attempt);
    }

    private sealed class RecordingPolicy : IReconnectPolicy
    {
        private readonly List<ReconnectContext> _contexts = [];

        public IReadOnlyList<ReconnectContext> Contexts
        {
            get
            {
                lock (_contexts)
                    return [.. _contexts];
            }
        }

        public TimeSpan? NextDelay(ReconnectContext context)
        {
            lock (_contexts)
                _contexts.Add(context);
            return TimeSpan.FromMilliseconds(10);
        }
    }

    private sealed class CountingSerializer : ISluiceSerializer
    {
        private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
        private int _rows;

        public int Rows => Volatile.Read(ref _rows);

        public T Deserialize<T>(ReadOnlySpan<byte> utf8Json)
        {
            Interlocked.Increment(ref _rows);
            return JsonSerializer.Deserialize<T>(utf8Json, Web)!;
        }

        public byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Web);
    }

    private sealed class RecordingLoggerFactory : ILoggerFactory
    {
        private readonly List<string> _categories = [];

        public IReadOnlyList<string> Categories
        {
            get
            {
                lock (_categories)
                    return [.. _categories];
            }
        }

        public ILogger CreateLogger(string categoryName)
        {
            lock (_categories)
                _categories.Add(categoryName);
            return NullLogger.Instance;
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}
