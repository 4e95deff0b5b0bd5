using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>
/// An ASP.NET Core app's own <c>Main</c> (a sample's top-level statements, unchanged) run in this process on a loopback
/// port: the host it builds is caught through the hosting diagnostics ("HostBuilt", as WebApplicationFactory does), so the
/// test learns its address once it started and can stop it. Only the host built by this run's own thread of work is taken
/// (tests building other hosts at the same time are ignored).
/// </summary>
public sealed class InProcessApp : IAsyncDisposable
{
    private static readonly AsyncLocal<InProcessApp?> Building = new();

    private readonly TaskCompletionSource<IHost> _built = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _run;

    private InProcessApp()
    {
    }

    public IHost Host { get; private set; } = null!;
    public Uri HttpBase { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Runs <paramref name="entryPoint"/>'s assembly entry point with <paramref name="args"/> (plus <c>--urls http://127.0.0.1:0</c>) until it has started.</summary>
    public static async Task<InProcessApp> StartAsync(Assembly entryPoint, params string[] args)
    {
        var main = entryPoint.EntryPoint ?? throw new InvalidOperationException($"{entryPoint.GetName().Name} has no entry point");
        var app = new InProcessApp();
        using var subscription = DiagnosticListener.AllListeners.Subscribe(new ListenerObserver());
        app._run = Task.Factory.StartNew(() =>
        {
            Building.Value = app;
            var result = main.Invoke(null, [(string[])["--urls", "http://127.0.0.1:0", .. args]]);
            if (result is Task task)
                task.GetAwaiter().GetResult();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var built = await Task.WhenAny(app._built.Task, app._run).WaitAsync(TestClient.Patience);
        if (built == app._run)
        {
            await app._run; // the app ended (or failed) before building its host: its exception, if any
            throw new InvalidOperationException("the app ended before it built its host");
        }
        app.Host = await app._built.Task;
        var lifetime = app.Host.Services.GetRequiredService<IHostApplicationLifetime>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            if (await Task.WhenAny(started.Task, app._run).WaitAsync(TestClient.Patience) == app._run)
            {
                await app._run; // start-up failed: rethrows why
                throw new InvalidOperationException("the app stopped while starting");
            }
        }
        var address = app.Host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        app.HttpBase = new Uri(address);
        app.Http = new HttpClient { BaseAddress = app.HttpBase };
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Host is not null)
            Host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        if (_run is not null)
            await _run.WaitAsync(TestClient.Patience);
    }

    private sealed class ListenerObserver : IObserver<DiagnosticListener>
    {
        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == "Microsoft.Extensions.Hosting")
                listener.Subscribe(new EventObserver());
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }

    private sealed class EventObserver : IObserver<KeyValuePair<string, object?>>
    {
        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == "HostBuilt" && value.Value is IHost host && Building.Value is { } app)
                app._built.TrySetResult(host);
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
