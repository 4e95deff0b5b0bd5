using System.Diagnostics;
using System.Globalization;

namespace Sluice.Bench.Harness;

/// <summary>
/// A server under test running as its own process on a loopback port: started, awaited until
/// <c>GET /health</c> answers 200, paused/resumed with SIGSTOP/SIGCONT, measured through /proc, stopped.
/// </summary>
public sealed class ChildServer : IAsyncDisposable
{
    private const int TailLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly string _name;

    private ChildServer(string name, Process process, int port)
    {
        _name = name;
        _process = process;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public HttpClient Http { get; }

    public Uri WebSocketUri(string path) => new($"ws://127.0.0.1:{Port}{path}");

    /// <summary>Starts <c>dotnet &lt;dll&gt; args…</c> and waits for /health.</summary>
    public static async Task<ChildServer> StartAsync(
        string name, string dll, IEnumerable<string> arguments, int port,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? readyTimeout = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var server = new ChildServer(name, process, port);
        try
        {
            await server.WaitHealthyAsync(readyTimeout ?? TimeSpan.FromSeconds(90));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Resident set size of the server process in KiB (VmRSS of /proc/&lt;pid&gt;/status).</summary>
    public long ResidentKiB()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException("no VmRSS line");
    }

    public Task PauseAsync() => SignalAsync("-STOP");

    public Task ResumeAsync() => SignalAsync("-CONT");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            await SignalAsync("-CONT");
            await SignalAsync("-TERM");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{_name} exited with code {_process.ExitCode} before it was ready:\n{Tail()}");
            try
            {
                using var response = await Http.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{_name} did not answer /health within {timeout.TotalSeconds} s:\n{Tail()}");
    }

    private async Task SignalAsync(string signal)
    {
        if (_process.HasExited)
            return;
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private void Remember(string? line)
    {
        if (line is null)
            return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
                _tail.Dequeue();
        }
    }

    private string Tail()
    {
        lock (_tail)
            return string.Join('\n', _tail);
    }
}
