using System.Diagnostics;
using Sluice.IntegrationTests.Embedded;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.Client;

/// <summary>
/// The native-AOT sample (samples/Sluice.Samples.AotLiveTable) published as a user would (<c>dotnet publish -c Release</c>,
/// its project sets <c>PublishAot</c>) into a folder of its own, then run as the native executable against a real server
/// while a few transactions commit. The publish fails on any trimming or AOT warning (warnings are errors), so this also
/// proves the SDK needs no reflection for its own frames and reads rows through the app's source-generated context.
/// </summary>
public sealed class AotSampleTests(PostgresFixture postgres) : ServerTest(postgres)
{
    private const string Sample = "Sluice.Samples.AotLiveTable";

    /// <summary>A hang guard for the native compile on a loaded machine (about 80 s on a busy 2-core one), not a speed assertion.</summary>
    private static readonly TimeSpan PublishPatience = TimeSpan.FromMinutes(8);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_native_aot_sample_follows_a_live_table()
    {
        using var artifacts = new TemporaryDirectory();
        var root = RepositoryRoot();
        // --artifacts-path keeps every bin and obj of this publish out of the repository's own build output.
        using (var publish = Run("dotnet",
                   ["publish", Path.Combine(root, "samples", Sample), "-c", "Release", "--artifacts-path", artifacts.Path, "--disable-build-servers"], root))
        {
            await publish.WaitForExitAsync(PublishPatience);
            Assert.True(publish.Process.ExitCode == 0, $"dotnet publish failed\n{publish}");
            Assert.Contains("Generating native code", publish.Output, StringComparison.Ordinal);
        }
        var folder = Path.Combine(artifacts.Path, "publish", Sample, "release");
        var executable = Path.Combine(folder, Sample);
        Assert.True(File.Exists(executable), $"no native executable in {folder}");
        Assert.False(File.Exists(Path.Combine(folder, "Sluice.Client.dll")), "a native-AOT publish has no managed assemblies beside it");

        await CreateTableAsync("aot_products");
        await Database.ExecuteAsync("INSERT INTO public.aot_products VALUES (1, 'Desk', 120.00)");
        using var app = Run(executable, [Server.WebSocketUrl.ToString(), "--table", "public.aot_products", "--transactions", "3"], folder);
        await app.WaitForOutputAsync(static output => output.Contains("synced", StringComparison.Ordinal), Patience);
        Assert.Contains("snapshot: 1 rows", app.Output, StringComparison.Ordinal);

        await Database.ExecuteAsync("INSERT INTO public.aot_products VALUES (2, 'Lamp', 9.99)");
        await app.WaitForOutputAsync(static output => output.Contains("INSERT 2 Lamp 9.99 (2 rows)", StringComparison.Ordinal), Patience);
        await Database.ExecuteAsync("UPDATE public.aot_products SET price = 19.99 WHERE id = 2");
        await app.WaitForOutputAsync(static output => output.Contains("UPDATE 2 Lamp 19.99 (2 rows)", StringComparison.Ordinal), Patience);
        await Database.ExecuteAsync("DELETE FROM public.aot_products WHERE id = 1");

        await app.WaitForExitAsync(Patience);
        Assert.True(app.Process.ExitCode == 0, $"the sample exited with {app.Process.ExitCode}\n{app}");
        Assert.Contains("DELETE 1 ", app.Output, StringComparison.Ordinal);
        Assert.Contains("(1 rows)", app.Output, StringComparison.Ordinal);
        Assert.Contains("done after 3 transactions", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("error ", app.Output, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sluice.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("Sluice.slnx not found above " + AppContext.BaseDirectory);
    }

    private static ChildProcess Run(string file, IEnumerable<string> arguments, string directory)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return new ChildProcess(Process.Start(start)!);
    }

    /// <summary>A child process whose output (stdout and stderr) is read as it comes and which is killed on dispose.</summary>
    private sealed class ChildProcess : IDisposable
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

        public async Task WaitForOutputAsync(Func<string, bool> match, TimeSpan patience)
        {
            var deadline = DateTime.UtcNow + patience;
            while (!match(Output))
            {
                Assert.False(Process.HasExited, $"{Process.StartInfo.FileName} exited\n{this}");
                Assert.True(DateTime.UtcNow < deadline, $"{Process.StartInfo.FileName} did not print the expected output in time\n{this}");
                await Task.Delay(100);
            }
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
}
