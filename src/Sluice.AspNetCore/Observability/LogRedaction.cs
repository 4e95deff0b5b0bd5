namespace Sluice.Server.Observability;

/// <summary>
/// Makes "tokens and secrets are never logged" hold whatever the logging configuration: every logger provider registered
/// so far is wrapped in a <see cref="RedactingLoggerProvider"/>, so even request logging switched on explicitly shows no
/// query string and no token. Call last, once every provider is registered.
/// </summary>
internal static class LogRedaction
{
    public static IServiceCollection RedactSecretsInLogs(this IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(ILoggerProvider) || descriptor.IsKeyedService)
                continue;
            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(provider =>
                new RedactingLoggerProvider(Create(provider, descriptor), ownsInner: descriptor.ImplementationInstance is null));
        }
        return services;
    }

    private static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: ILoggerProvider instance } => instance,
        { ImplementationFactory: { } factory } => (ILoggerProvider)factory(services),
        _ => (ILoggerProvider)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!),
    };
}
