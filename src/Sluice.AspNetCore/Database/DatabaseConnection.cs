using Npgsql;

namespace Sluice.Server.Database;

/// <summary>The database Sluice serves: its connection string and a pooled data source for catalog queries.</summary>
internal sealed class DatabaseConnection(string connectionString) : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;

    public NpgsqlDataSource DataSource { get; } = NpgsqlDataSource.Create(connectionString);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
