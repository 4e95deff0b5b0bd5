namespace Sluice.Server.Hosting;

/// <summary>
/// The executable reports an expected start-up failure (a database that is not ready, a bad setting, a taken port, a stop
/// signal while starting) as one line on stderr; the host would also log it with its stack trace ("Hosting failed to
/// start"). This wraps the logger providers registered so far so that exactly that entry — the host's, for an exception
/// the executable reports — is left out. Every other entry, other failures included, passes unchanged.
/// </summary>
internal static class ReportedFailureLogFilter
{
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";
    private const int HostingFailedToStart = 11;

    public static void Add(IServiceCollection services, Func<Exception, bool> reported)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(ILoggerProvider) || descriptor.IsKeyedService)
                continue;
            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(provider =>
                new Provider(Create(provider, descriptor), reported, ownsInner: descriptor.ImplementationInstance is null));
        }
    }

    private static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: ILoggerProvider instance } => instance,
        { ImplementationFactory: { } factory } => (ILoggerProvider)factory(services),
        _ => (ILoggerProvider)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!),
    };

    private sealed class Provider(ILoggerProvider inner, Func<Exception, bool> reported, bool ownsInner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == HostCategory ? new Logger(inner.CreateLogger(categoryName), reported) : inner.CreateLogger(categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider)
        {
            if (inner is ISupportExternalScope scoped)
                scoped.SetScopeProvider(scopeProvider);
        }

        public void Dispose()
        {
            if (ownsInner)
                inner.Dispose();
        }
    }

    private sealed class Logger(ILogger inner, Func<Exception, bool> reported) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == HostingFailedToStart && exception is not null && reported(exception))
                return;
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
