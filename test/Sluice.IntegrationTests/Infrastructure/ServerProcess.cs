using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>
/// The real server executable (<c>dotnet sluice.dll</c>) as a child process on a loopback port. It can be killed
/// with SIGKILL, stopped with SIGTERM and restarted with the same arguments. Its output is kept (the last lines)
/// for failure messages. Disposing kills it; a test host that exits also kills every server it started.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>How long a start may take until <c>/health</c> answers 200; a hang guard.</summary>
    public static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(120);

    private const int KeptOutputLines = 300;
    private static readonly List<ServerProcess> Running = [];

    private readonly string[] _args;
    private readonly Queue<string> _output = new();
    private readonly string _workingDirectory;
    private readonly List<string>? _allOutput;
    private Process? _process;

    static ServerProcess() => AppDomain.CurrentDomain.ProcessExit += static (_, _) =>
    {
        lock (Running)
        {
            foreach (var server in Running)
                server.KillQuietly();
        }
    };

    private ServerProcess(string[] args, string? workingDirectory = null, bool keepAllOutput = false)
    {
        _args = args;
        _workingDirectory = workingDirectory ?? AppContext.BaseDirectory;
        _allOutput = keepAllOutput ? [] : null;
    }

    public int Port { get; private set; }
    public Uri HttpBase => new($"http://127.0.0.1:{Port}/");
    public Uri WebSocketUrl => new($"ws://127.0.0.1:{Port}/realtime");

    /// <summary>A client without a base address, since the port may change on restart; see <see cref="HttpBase"/>.</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The process id of the current run.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the server was never started");

    /// <summary>The last lines the server wrote to stdout and stderr, over all its runs.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    /// <summary>Every line the server wrote, when started with <see cref="StartInAsync"/>.</summary>
    public IReadOnlyList<string> AllOutput
    {
        get
        {
            lock (_output)
                return _allOutput is null ? throw new InvalidOperationException("started without keeping all output") : [.. _allOutput];
        }
    }

    /// <summary>Starts the server on <paramref name="database"/> with its slot and publication and waits until it streams.</summary>
    public static Task<ServerProcess> StartAsync(TestDatabase database, params string[] extraArgs) =>
        StartAsync(new ServerProcess(Arguments(database, extraArgs)));

    /// <summary>
    /// Like <see cref="StartAsync(TestDatabase, string[])"/>, with <paramref name="workingDirectory"/> as the current directory
    /// (not the application's own), keeping every output line (<see cref="AllOutput"/>).
    /// </summary>
    public static Task<ServerProcess> StartInAsync(string workingDirectory, TestDatabase database, params string[] extraArgs) =>
        StartAsync(new ServerProcess(Arguments(database, extraArgs), workingDirectory, keepAllOutput: true));

    private static string[] Arguments(TestDatabase database, string[] extraArgs) =>
    [
        "--database", database.ConnectionString,
        "--slot", database.SlotName,
        "--publication", database.PublicationName,
        .. extraArgs,
    ];

    private static async Task<ServerProcess> StartAsync(ServerProcess server)
    {
        try
        {
            await server.LaunchAsync(FreePort());
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Starts the server with exactly <paramref name="args"/> (plus <c>--urls</c> on a free port) and waits until <c>/health</c> answers 200.</summary>
    public static async Task<ServerProcess> StartWithArgumentsAsync(params string[] args)
    {
        var server = new ServerProcess(args);
        try
        {
            await server.LaunchAsync(FreePort());
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Starts the server again (after <see cref="Kill"/> or <see cref="StopAsync"/>) with the same arguments.
    /// Keeps the port unless it is still taken or <paramref name="newPort"/> asks for a fresh one.</summary>
    public async Task RestartAsync(bool newPort = false)
    {
        if (IsRunning)
            throw new InvalidOperationException("the server is still running; Kill or Stop it first");
        if (!newPort)
        {
            try
            {
                await LaunchAsync(Port);
                return;
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // The old socket lingers: fall through to a fresh port.
            }
        }
        await LaunchAsync(FreePort());
    }

    /// <summary>SIGKILL: the server gets no chance to flush, acknowledge or close anything.</summary>
    public void Kill()
    {
        var process = _process ?? throw new InvalidOperationException("the server was never started");
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("the killed server did not exit\n" + Output);
    }

    /// <summary>SIGTERM, then waits for a graceful exit and returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        var process = _process ?? throw new InvalidOperationException("the server was never started");
        if (!process.HasExited)
        {
            using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
                   { UseShellExecute = false })!)
                await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                KillQuietly();
                throw new TimeoutException("the server did not exit within 30 s of SIGTERM\n" + Output);
            }
        }
        return process.ExitCode;
    }

    public Task<TestClient> ConnectAsync(string query = "") => TestClient.ConnectAsync(new Uri(WebSocketUrl + query));

    public async Task<JsonElement> StatsAsync() => await Http.GetFromJsonAsync<JsonElement>(new Uri(HttpBase, "api/realtime/stats"));

    private async Task LaunchAsync(int port)
    {
        _process?.Dispose();
        Port = port;
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var arg in _args)
            start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        Keep($"--- starting on port {port}: sluice {string.Join(' ', _args)}");
        process.Start();
        _process = process;
        lock (Running)
            Running.Add(this);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilHealthyAsync(process);
    }

    private async Task WaitUntilHealthyAsync(Process process)
    {
        var deadline = DateTime.UtcNow + StartPatience;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // drains the output
                throw new InvalidOperationException($"the server exited with code {process.ExitCode} before it was healthy\n{Output}");
            }
            try
            {
                using var response = await Http.GetAsync(new Uri(HttpBase, "health"));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        KillQuietly();
        throw new TimeoutException($"the server was not healthy within {StartPatience.TotalSeconds} s\n{Output}");
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _allOutput?.Add(line);
            _output.Enqueue(line);
            while (_output.Count > KeptOutputLines)
                _output.Dequeue();
        }
    }

    private void KillQuietly()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    /// <summary>The <c>dotnet</c> host running these tests, so the server runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet")
            return current;
        return "dotnet";
    }

    private static int FreePort() => Sluice.Server.Embedded.LoopbackPort.FindFree();

    public ValueTask DisposeAsync()
    {
        KillQuietly();
        lock (Running)
            Running.Remove(this);
        _process?.Dispose();
        Http.Dispose();
        return ValueTask.CompletedTask;
    }
}
