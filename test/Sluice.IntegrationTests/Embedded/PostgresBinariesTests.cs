using Sluice.Server.Embedded;

namespace Sluice.IntegrationTests.Embedded;

public sealed class PostgresBinariesTests
{
    [Fact]
    public void FindBinDirectory_finds_the_machines_server_binaries()
    {
        var binDirectory = EmbeddedPostgres.FindBinDirectory();

        Assert.NotNull(binDirectory);
        Assert.True(File.Exists(Path.Combine(binDirectory, "initdb")));
        Assert.True(File.Exists(Path.Combine(binDirectory, "pg_ctl")));
        Assert.True(File.Exists(Path.Combine(binDirectory, "postgres")));
    }

    [Fact]
    public async Task StartAsync_with_a_folder_lacking_the_binaries_throws_a_clear_exception()
    {
        using var data = new TemporaryDirectory();
        var options = new EmbeddedPostgresOptions { DataDirectory = data.Path, BinDirectory = Path.GetTempPath() };

        var exception = await Assert.ThrowsAsync<PostgresBinariesNotFoundException>(
            () => EmbeddedPostgres.StartAsync(options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));

        Assert.Contains("apt-get install postgresql", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', exception.Message);
    }

    [Fact]
    public void DefaultDataDirectory_is_an_absolute_sluice_folder()
    {
        var directory = EmbeddedPostgres.DefaultDataDirectory();

        Assert.True(Path.IsPathRooted(directory));
        Assert.EndsWith(Path.Combine("sluice", "postgres"), directory, StringComparison.Ordinal);
    }
}
