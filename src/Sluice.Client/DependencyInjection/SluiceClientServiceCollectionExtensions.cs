using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Sluice.Client;

/// <summary>Registers a <see cref="SluiceClient"/> in a service collection.</summary>
public static class SluiceClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds one shared <see cref="SluiceClient"/> (a singleton, disposed with the container). The container's
    /// <see cref="ILoggerFactory"/> is used unless <paramref name="configure"/> sets one. Start it with
    /// <see cref="SluiceClient.StartAsync"/>, for example from a hosted service, before or after creating channels.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; <see cref="SluiceClientOptions.Url"/> is required.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSluiceClient(this IServiceCollection services, Action<SluiceClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton(provider =>
        {
            var options = new SluiceClientOptions { LoggerFactory = provider.GetService<ILoggerFactory>() };
            configure(options);
            return new SluiceClient(options);
        });
        return services;
    }

    /// <summary>Adds a shared <see cref="SluiceClient"/> for the server at <paramref name="url"/> with default settings.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="url">The WebSocket endpoint, e.g. <c>ws://localhost:8080/realtime</c>.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddSluiceClient(this IServiceCollection services, Uri url) =>
        services.AddSluiceClient(options => options.Url = url);
}
