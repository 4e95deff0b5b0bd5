using System.Diagnostics;

namespace Sluice.IntegrationTests.Infrastructure;

/// <summary>
/// A child process whose output (stdout and stderr) is read as it comes (so it never blocks on a full pipe) and which is
/// killed on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly List<string> _lines = [];

    public ChildProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_lines)
                return string.Join('\n', _lines);
        }
    }

    /// <summary>Starts <paramref name="file"/> in <paramref name="directory"/>; with <paramref name="redirectInput"/> its stdin is <c>Process.StandardInput</c>.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> arguments, string directory, bool redirectInput = false)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return new ChildProcess(Process.Start(start)!);
    }

    public async Task WaitForExitAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{Process.StartInfo.FileName} did not exit in time\n{this}");
        }
    }

    /// <summary>Waits until the output so far matches; that output. Fails when the process exits first or the time is up.</summary>
    public async Task<string> WaitForOutputAsync(Func<string, bool> match, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            var output = Output;
            if (match(output))
                return output;
            Assert.False(Process.HasExited, $"{Process.StartInfo.FileName} exited\n{this}");
            await Task.Delay(100);
        }
        Assert.Fail($"{Process.StartInfo.FileName} did not print the expected output in time\n{this}");
        return "";
    }

    public override string ToString() => $"--- {Process.StartInfo.FileName} output\n{Output}";

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_lines)
            _lines.Add(line);
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
                Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        Process.Dispose();
    }
}
