using System.Diagnostics;
using Npgsql;

namespace Sluice.Bench.Harness;

/// <summary>
/// A prepared single-row insert on a connection of its own (parameters: id, sent_ticks, as
/// <c>BenchTables.SingleRowInsert</c>): each row is stamped with the Stopwatch time just before the statement is sent.
/// </summary>
public sealed class PreparedInsert : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlCommand _command;
    private readonly NpgsqlParameter<int> _id = new();
    private readonly NpgsqlParameter<long> _ticks = new();

    private PreparedInsert(NpgsqlConnection connection, string sql)
    {
        _connection = connection;
        _command = new NpgsqlCommand(sql, connection);
        _command.Parameters.Add(_id);
        _command.Parameters.Add(_ticks);
    }

    /// <summary>Opens a connection of <paramref name="database"/> and prepares <paramref name="sql"/> on it.</summary>
    public static async Task<PreparedInsert> OpenAsync(BenchDatabase database, string sql)
    {
        var insert = new PreparedInsert(await database.DataSource.OpenConnectionAsync(), sql);
        try
        {
            await insert._command.PrepareAsync();
            return insert;
        }
        catch
        {
            await insert.DisposeAsync();
            throw;
        }
    }

    /// <summary>Inserts one row with <paramref name="id"/>, stamped now; one transaction.</summary>
    public Task ExecuteAsync(int id)
    {
        _id.TypedValue = id;
        _ticks.TypedValue = Stopwatch.GetTimestamp();
        return _command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _command.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
