using System.Diagnostics;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>
/// One run of the real executable (<c>dotnet sluice.dll ARGS</c>) as a child process, for start-up behaviour: what it
/// prints (stdout and stderr kept apart, line by line) and how it exits. Unlike <see cref="ServerProcess"/> it does not
/// wait for health. Disposing kills it if it still runs.
/// </summary>
public sealed class SluiceCommand : IAsyncDisposable
{
    /// <summary>A hang guard for a run that is expected to end (or to print a line), not a latency assertion.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _error = [];
    private readonly SemaphoreSlim _printed = new(0);

    private SluiceCommand(Process process) => _process = process;

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The lines written to stdout so far.</summary>
    public IReadOnlyList<string> OutputLines
    {
        get
        {
            lock (_output)
                return [.. _output];
        }
    }

    /// <summary>The lines written to stderr so far.</summary>
    public IReadOnlyList<string> ErrorLines
    {
        get
        {
            lock (_output)
                return [.. _error];
        }
    }

    public static SluiceCommand Start(params string[] args) => Start(args, workingDirectory: null);

    public static SluiceCommand Start(IEnumerable<string> args, string? workingDirectory)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Only what the command line says: no database or secrets from the test host's environment.
        start.Environment.Remove("SLUICE_DATABASE");
        start.Environment.Remove("SLUICE_URL");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var command = new SluiceCommand(process);
        process.OutputDataReceived += (_, e) => command.Keep(command._output, e.Data);
        process.ErrorDataReceived += (_, e) => command.Keep(command._error, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return command;
    }

    /// <summary>Runs to the end and returns the exit code; fails the test when it does not end within <see cref="Patience"/>.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            Assert.Fail($"sluice did not exit within {Patience.TotalSeconds} s\n{this}");
        }
        return _process.ExitCode;
    }

    /// <summary>The first stdout line that satisfies <paramref name="match"/>; fails when the process exits or <see cref="Patience"/> passes first.</summary>
    public async Task<string> WaitForOutputLineAsync(Func<string, bool> match)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (OutputLines.FirstOrDefault(match) is { } line)
                return line;
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // drains the output
                if (OutputLines.FirstOrDefault(match) is { } last)
                    return last;
                Assert.Fail($"sluice exited with code {_process.ExitCode} before printing the expected line\n{this}");
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                Assert.Fail($"sluice did not print the expected line within {Patience.TotalSeconds} s\n{this}");
            await _printed.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>SIGTERM, as Ctrl+C would: the server stops its embedded PostgreSQL on the way out. Returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            await kill.WaitForExitAsync();
        }
        return await WaitForExitAsync();
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(30));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    public override string ToString()
    {
        lock (_output)
            return $"--- stdout\n{string.Join('\n', _output)}\n--- stderr\n{string.Join('\n', _error)}";
    }

    private void Keep(List<string> lines, string? line)
    {
        if (line is null)
            return;
        lock (_output)
            lines.Add(line);
        try
        {
            _printed.Release();
        }
        catch (ObjectDisposedException)
        {
            // A last line read after the test let go of the process.
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

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        _printed.Dispose();
        return ValueTask.CompletedTask;
    }
}
