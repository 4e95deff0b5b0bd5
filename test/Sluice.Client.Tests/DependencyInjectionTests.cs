using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Client.Tests.Fakes;

namespace Sluice.Client.Tests;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task Keyed_clients_are_separate_and_a_second_registration_configures_the_same_client()
    {
        await using var server = await FakeServer.StartAsync();
        var services = new ServiceCollection();
        services.AddSluiceClient(server.Url);
        services.AddKeyedSluiceClient("orders", (provider, builder) => builder.WithUrl(server.Url).WithAccessToken("first"));
        services.AddKeyedSluiceClient("orders", builder => builder.WithAccessToken("second"));
        services.AddSingleton<OrdersConsumer>();
        await using var provider = services.BuildServiceProvider();

        var orders = provider.GetRequiredKeyedService<SluiceClient>("orders");
        Assert.Same(orders, provider.GetRequiredService<OrdersConsumer>().Client);
        Assert.NotSame(orders, provider.GetRequiredService<SluiceClient>());
        Assert.Single(provider.GetKeyedServices<SluiceClient>("orders"));

        await orders.StartAsync();
        Assert.Equal("?token=second", (await server.NextConnectionAsync()).Query);
    }

    [Fact]
    public async Task A_client_bound_from_configuration_starts_and_stops_with_the_host()
    {
        await using var server = await FakeServer.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Url"] = server.Url.ToString(),
            ["Sluice:AccessToken"] = "from-config",
            ["Sluice:HeartbeatInterval"] = "00:00:30",
            ["Sluice:HeartbeatTimeout"] = "00:01:00",
            ["Sluice:FallbackAfter"] = "",
        });
        builder.Services.AddSluiceClient(builder.Configuration.GetSection("Sluice")).WithHostedStart().WithHostedStart();
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<SluiceClient>();

        await host.StartAsync();
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal("?token=from-config", (await server.NextConnectionAsync()).Query);
        Assert.Equal(1, server.Connections);

        await host.StopAsync();
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public void Unknown_or_invalid_settings_in_configuration_are_refused_with_the_key_named()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sluice:Url"] = "ws://localhost/realtime",
            ["Sluice:HeartbeatIntervall"] = "00:00:10",
            ["Bad:HeartbeatTimeout"] = "soon",
        }).Build();

        var typo = Assert.Throws<ArgumentException>(() => new SluiceClientBuilder().WithConfiguration(configuration.GetSection("Sluice")));
        Assert.Contains("Sluice:HeartbeatIntervall", typo.Message, StringComparison.Ordinal);
        var invalid = Assert.Throws<ArgumentException>(() => new SluiceClientBuilder().WithConfiguration(configuration.GetSection("Bad")));
        Assert.Contains("Bad:HeartbeatTimeout", invalid.Message, StringComparison.Ordinal);
    }

    private sealed class OrdersConsumer([FromKeyedServices("orders")] SluiceClient client)
    {
        public SluiceClient Client { get; } = client;
    }
}
