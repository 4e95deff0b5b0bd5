using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Sluice.Server.Embedded;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Embedded;

public sealed class EmbeddedPostgresLifecycleTests(ITestOutputHelper output)
{
    private readonly TestOutputLogger _logger = new(output);

    [Fact]
    public async Task Cluster_survives_stop_and_kill_and_dispose_removes_everything()
    {
        using var data = new TemporaryDirectory();

        int firstPostmaster;
        await using (var first = await StartAsync(data.Path, deleteDataOnDispose: false))
        {
            Assert.Equal("logical", await ScalarAsync<string>(first, "SHOW wal_level"));
            Assert.Equal("t", await ScalarAsync<string>(
                first, "SELECT slot_name::text FROM pg_create_logical_replication_slot('t', 'pgoutput')"));
            await ScalarAsync<object>(first, "SELECT pg_drop_replication_slot('t')");
            await ScalarAsync<object>(first, "CREATE TABLE survivor (id int PRIMARY KEY, name text NOT NULL)");
            await ScalarAsync<object>(first, "INSERT INTO survivor VALUES (1, 'kept')");
            firstPostmaster = ReadPostmasterId(first.DataDirectory);

            await first.StopAsync();
            await first.StopAsync();
        }

        Assert.False(IsRunning(firstPostmaster));

        await using (var restarted = await StartAsync(data.Path, deleteDataOnDispose: false))
        {
            Assert.Equal("kept", await ScalarAsync<string>(restarted, "SELECT name FROM survivor WHERE id = 1"));

            var killed = ReadPostmasterId(restarted.DataDirectory);
            using (var postmaster = Process.GetProcessById(killed))
            {
                postmaster.Kill();
            }

            await WaitUntilGoneAsync(killed);
        }

        await using (var afterKill = await StartAsync(data.Path, deleteDataOnDispose: true))
        {
            Assert.Equal("kept", await ScalarAsync<string>(afterKill, "SELECT name FROM survivor WHERE id = 1"));
            var lastPostmaster = ReadPostmasterId(afterKill.DataDirectory);

            await afterKill.DisposeAsync();

            Assert.False(IsRunning(lastPostmaster));
            Assert.False(Directory.Exists(data.Path));
        }
    }

    [Fact]
    public async Task Cluster_runs_with_the_replication_settings_on_loopback()
    {
        using var data = new TemporaryDirectory();
        await using var server = await StartAsync(data.Path, deleteDataOnDispose: true);

        Assert.Equal("32", await ScalarAsync<string>(server, "SHOW max_replication_slots"));
        Assert.Equal("32", await ScalarAsync<string>(server, "SHOW max_wal_senders"));
        Assert.Equal("300", await ScalarAsync<string>(server, "SHOW max_connections"));
        Assert.Equal("127.0.0.1", await ScalarAsync<string>(server, "SHOW listen_addresses"));
        Assert.Equal("off", await ScalarAsync<string>(server, "SHOW fsync"));
        Assert.Equal("scram-sha-256", await ScalarAsync<string>(server, "SHOW password_encryption"));
        Assert.Equal(server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), await ScalarAsync<string>(server, "SHOW port"));
        Assert.Equal(server.DataDirectory, await ScalarAsync<string>(server, "SHOW unix_socket_directories"));
        Assert.Equal("127.0.0.1", new NpgsqlConnectionStringBuilder(server.ConnectionString).Host);

        var passwordFile = Path.Combine(server.DataDirectory, "sluice-superuser-password");
        Assert.True(File.Exists(passwordFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        }
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        using var data = new TemporaryDirectory();
        await using var server = await StartAsync(data.Path, deleteDataOnDispose: true);
        var wrong = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Password = "wrong", Pooling = false };

        await using var connection = new NpgsqlConnection(wrong.ConnectionString);
        var exception = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal(PostgresErrorCodes.InvalidPassword, exception.SqlState);
    }

    [Fact]
    public async Task A_non_empty_folder_without_a_cluster_is_refused()
    {
        using var data = new TemporaryDirectory();
        Directory.CreateDirectory(data.Path);
        await File.WriteAllTextAsync(Path.Combine(data.Path, "unrelated.txt"), "not a cluster");

        var exception = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => StartAsync(data.Path, deleteDataOnDispose: true));

        Assert.Contains("PG_VERSION", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_start_reports_the_tail_of_the_server_log()
    {
        using var data = new TemporaryDirectory();
        var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        try
        {
            var options = new EmbeddedPostgresOptions
            {
                DataDirectory = data.Path,
                Port = ((IPEndPoint)occupier.LocalEndpoint).Port,
                Durable = false,
                DeleteDataOnDispose = true,
            };

            var exception = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgres.StartAsync(options, _logger));

            output.WriteLine(exception.Message);
            Assert.Contains("postgres.log", exception.Message, StringComparison.Ordinal);
            Assert.Contains("could not bind", exception.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(data.Path));
        }
        finally
        {
            occupier.Stop();
        }
    }

    [Fact]
    public async Task As_root_a_data_directory_behind_a_private_folder_is_refused_clearly()
    {
        if (OperatingSystem.IsWindows() || !Environment.IsPrivilegedProcess)
        {
            return; // Only root hands the cluster to the postgres user.
        }

        using var data = new TemporaryDirectory();
        Directory.CreateDirectory(data.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var exception = await Assert.ThrowsAsync<EmbeddedPostgresException>(
            () => StartAsync(Path.Combine(data.Path, "cluster"), deleteDataOnDispose: true));

        Assert.Contains(data.Path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("not traversable", exception.Message, StringComparison.Ordinal);
    }

    private Task<EmbeddedPostgres> StartAsync(string dataDirectory, bool deleteDataOnDispose) =>
        EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions { DataDirectory = dataDirectory, Durable = false, DeleteDataOnDispose = deleteDataOnDispose },
            _logger);

    private static async Task<T?> ScalarAsync<T>(EmbeddedPostgres server, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? default : (T?)value;
    }

    private static int ReadPostmasterId(string dataDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsRunning(int processId) => ProcessProbe.IsAlive(processId);

    private static async Task WaitUntilGoneAsync(int processId)
    {
        while (IsRunning(processId))
        {
            await Task.Delay(50);
        }
    }
}
