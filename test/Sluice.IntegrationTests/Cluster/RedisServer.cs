using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Sluice.IntegrationTests.Cluster;

/// <summary>
/// A real <c>redis-server</c> (the Debian package; <c>./build.sh test</c> installs it) on a free loopback port, with its
/// own data folder. It can be killed with SIGKILL and started again on the same port, with or without its data.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sluice-redis-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly bool _persistent;
    private readonly Queue<string> _output = new();
    private Process? _process;

    private RedisServer(bool persistent, int port)
    {
        _persistent = persistent;
        Port = port;
        Directory.CreateDirectory(_directory);
    }

    public int Port { get; }

    /// <summary>The value of <c>--redis</c> for the servers.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public string Output
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    /// <summary>Starts Redis; <paramref name="persistent"/> keeps an append-only file fsynced on every write.</summary>
    public static async Task<RedisServer> StartAsync(bool persistent = false)
    {
        var server = new RedisServer(persistent, Sluice.Server.Embedded.LoopbackPort.FindFree());
        await server.LaunchAsync();
        return server;
    }

    /// <summary>SIGKILL: whatever was not persisted is gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Starts Redis again on the same port (after <see cref="Kill"/>).</summary>
    public Task RestartAsync() => LaunchAsync();

    private async Task LaunchAsync()
    {
        var binary = File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var arg in new[]
                 {
                     "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--dir", _directory, "--save", "", "--daemonize", "no", "--protected-mode", "no",
                     "--appendonly", _persistent ? "yes" : "no", "--appendfsync", "always",
                 })
            start.ArgumentList.Add(arg);
        _process?.Dispose();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode}\n{Output}");
            if (await PingAsync())
                return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"redis-server did not answer PING within 30 s\n{Output}");
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 100)
                _output.Dequeue();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
