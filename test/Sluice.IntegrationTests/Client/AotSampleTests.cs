using Sluice.IntegrationTests.Embedded;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.IntegrationTests.Supabase;

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
        var root = CompatScripts.RepositoryRoot();
        // --artifacts-path keeps every bin and obj of this publish out of the repository's own build output.
        using (var publish = ChildProcess.Start("dotnet",
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
        using var app = ChildProcess.Start(executable, [Server.WebSocketUrl.ToString(), "--table", "public.aot_products", "--transactions", "3"], folder);
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
}
