using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.Client;

/// <summary>
/// Registers <see cref="SluiceClient"/>s in a service collection: one default client, and any number of keyed ones
/// (resolved with <c>[FromKeyedServices("name")]</c> or <c>GetRequiredKeyedService&lt;SluiceClient&gt;("name")</c>).
/// Each is a singleton built on first use with the container's <see cref="ILoggerFactory"/> and
/// <see cref="IMeterFactory"/> (unless the configuration sets others) and disposed with the container.
/// </summary>
/// <remarks>
/// Registering the same client again (the default one, or the same key) does not add a second client and is not
/// ignored: the new configuration is applied to the same client after the earlier ones, in registration order, so
/// configuration binding and code can be layered (<c>AddSluiceClient(section)</c>, then
/// <c>AddSluiceClient(b =&gt; b.WithAccessTokenProvider(…))</c>).
/// </remarks>
public static class SluiceClientServiceCollectionExtensions
{
    /// <summary>Adds (or configures further) the default <see cref="SluiceClient"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the client; <see cref="SluiceClientBuilder.WithUrl(Uri)"/> is required once.</param>
    /// <returns>The registration, e.g. for <see cref="SluiceClientRegistration.WithHostedStart"/>.</returns>
    public static SluiceClientRegistration AddSluiceClient(this IServiceCollection services, Action<SluiceClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Register(services, null, (_, builder) => configure(builder));
    }

    /// <summary>Adds (or configures further) the default <see cref="SluiceClient"/>, configured with the container's services at hand.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the client, given the service provider (e.g. for a token service).</param>
    /// <returns>The registration.</returns>
    public static SluiceClientRegistration AddSluiceClient(this IServiceCollection services, Action<IServiceProvider, SluiceClientBuilder> configure) =>
        Register(services, null, configure);

    /// <summary>Adds (or configures further) the default <see cref="SluiceClient"/> from configuration, e.g.
    /// <c>builder.Configuration.GetSection("Sluice")</c> (see <see cref="SluiceClientBuilder.WithConfiguration"/> for the keys).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the settings.</param>
    /// <returns>The registration.</returns>
    public static SluiceClientRegistration AddSluiceClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Register(services, null, (_, builder) => builder.WithConfiguration(configuration));
    }

    /// <summary>Adds (or configures further) the default <see cref="SluiceClient"/> for the server at <paramref name="url"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="url">The WebSocket endpoint, e.g. <c>ws://localhost:8080/realtime</c>.</param>
    /// <returns>The registration.</returns>
    public static SluiceClientRegistration AddSluiceClient(this IServiceCollection services, Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Register(services, null, (_, builder) => builder.WithUrl(url));
    }

    /// <summary>Adds (or configures further) the <see cref="SluiceClient"/> registered under <paramref name="serviceKey"/>, e.g. a name.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key it is resolved by (<c>[FromKeyedServices(key)]</c>).</param>
    /// <param name="configure">Configures the client.</param>
    /// <returns>The registration.</returns>
    public static SluiceClientRegistration AddKeyedSluiceClient(this IServiceCollection services, object serviceKey, Action<SluiceClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configure);
        return Register(services, serviceKey, (_, builder) => configure(builder));
    }

    /// <summary>Adds (or configures further) the keyed <see cref="SluiceClient"/>, configured with the container's services at hand.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key it is resolved by.</param>
    /// <param name="configure">Configures the client, given the service provider.</param>
    /// <returns>The registration.</returns>
    public static SluiceClientRegistration AddKeyedSluiceClient(this IServiceCollection services, object serviceKey, Action<IServiceProvider, SluiceClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        return Register(services, serviceKey, configure);
    }

    /// <summary>Adds (or configures further) the keyed <see cref="SluiceClient"/> from configuration, e.g. <c>GetSection("Sluice:Orders")</c>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key it is resolved by.</param>
    /// <param name="configuration">The section holding the settings.</param>
    /// <returns>The registration.</returns>
    public static SluiceClientRegistration AddKeyedSluiceClient(this IServiceCollection services, object serviceKey, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentNullException.ThrowIfNull(configuration);
        return Register(services, serviceKey, (_, builder) => builder.WithConfiguration(configuration));
    }

    private static SluiceClientRegistration Register(IServiceCollection services, object? serviceKey, Action<IServiceProvider, SluiceClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var registry = services.FirstOrDefault(static d => d.ServiceType == typeof(Registry) && !d.IsKeyedService)?.ImplementationInstance as Registry;
        if (registry is null)
        {
            registry = new Registry();
            services.AddSingleton(registry);
        }
        var registration = registry.Find(serviceKey);
        if (registration is null)
        {
            registration = new SluiceClientRegistration(services, serviceKey);
            registry.Add(registration);
            var configurations = registration.Configurations;
            if (serviceKey is null)
                services.AddSingleton(provider => Create(provider, configurations));
            else
                services.AddKeyedSingleton(serviceKey, (provider, _) => Create(provider, configurations));
        }
        registration.Configurations.Add(configure);
        return registration;
    }

    private static SluiceClient Create(IServiceProvider provider, List<Action<IServiceProvider, SluiceClientBuilder>> configurations)
    {
        var builder = new SluiceClientBuilder();
        if (provider.GetService<ILoggerFactory>() is { } loggerFactory)
            builder.WithLoggerFactory(loggerFactory);
        if (provider.GetService<IMeterFactory>() is { } meterFactory)
            builder.WithMeterFactory(meterFactory);
        foreach (var configure in configurations)
            configure(provider, builder);
        return builder.Build();
    }

    /// <summary>The clients registered in one service collection, by key.</summary>
    private sealed class Registry
    {
        private readonly List<SluiceClientRegistration> _registrations = [];

        public SluiceClientRegistration? Find(object? key) => _registrations.Find(r => Equals(r.ServiceKey, key));

        public void Add(SluiceClientRegistration registration) => _registrations.Add(registration);
    }
}

/// <summary>A <see cref="SluiceClient"/> registered by <c>AddSluiceClient</c> or <c>AddKeyedSluiceClient</c>.</summary>
public sealed class SluiceClientRegistration
{
    private bool _hostedStart;

    internal SluiceClientRegistration(IServiceCollection services, object? serviceKey)
    {
        Services = services;
        ServiceKey = serviceKey;
    }

    /// <summary>The service collection it is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Its key; null for the default client.</summary>
    public object? ServiceKey { get; }

    internal List<Action<IServiceProvider, SluiceClientBuilder>> Configurations { get; } = [];

    /// <summary>
    /// Starts the client with the host (an <see cref="IHostedService"/>) and stops it with the host. The host's start
    /// waits for <see cref="SluiceClient.StartAsync"/>: until the server accepted the connection, and fails if the
    /// reconnect policy gives up (e.g. the token is refused) — unless the client starts in the background
    /// (<see cref="SluiceClientBuilder.WithBackgroundStart"/>), so the app starts while the server is unreachable.
    /// Calling it again for the same client does nothing.
    /// </summary>
    /// <returns>This registration.</returns>
    public SluiceClientRegistration WithHostedStart()
    {
        if (_hostedStart)
            return this;
        _hostedStart = true;
        var key = ServiceKey;
        Services.AddSingleton<IHostedService>(provider => new HostedStart(
            key is null ? provider.GetRequiredService<SluiceClient>() : provider.GetRequiredKeyedService<SluiceClient>(key)));
        return this;
    }

    private sealed class HostedStart(SluiceClient client) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => client.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => client.StopAsync(cancellationToken);
    }
}
