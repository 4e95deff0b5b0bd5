using System.Security.Cryptography;
using Npgsql;
using Sluice.Protocol;

namespace Sluice.Server.Log;

/// <summary>
/// Identifies one continuous change history: a new replication slot (recreated, or a restored database)
/// starts a new epoch, and offsets of another epoch get <c>resync_required</c>. Stored per slot in
/// <c>sluice.slot_epochs</c>.
/// </summary>
internal sealed record LogEpoch(string Value)
{
    public const int Length = Offsets.EpochLength;

    public static bool IsValid(ReadOnlySpan<char> text) => Offsets.IsValidEpoch(text);

    /// <summary>The slot's epoch; a new one when the slot was just created or none is recorded.</summary>
    public static async Task<LogEpoch> ResolveAsync(NpgsqlDataSource dataSource, string slotName, bool slotCreated, CancellationToken cancellationToken)
    {
        if (!slotCreated)
        {
            await using var read = dataSource.CreateCommand("SELECT epoch FROM sluice.slot_epochs WHERE slot_name = $1");
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
            if (await read.ExecuteScalarAsync(cancellationToken) is string existing && IsValid(existing))
                return new LogEpoch(existing);
        }

        var epoch = new LogEpoch(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2)));
        await using var write = dataSource.CreateCommand("""
            INSERT INTO sluice.slot_epochs (slot_name, epoch) VALUES ($1, $2)
            ON CONFLICT (slot_name) DO UPDATE SET epoch = excluded.epoch, created_at = now()
            """);
        write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slotName });
        write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = epoch.Value });
        await write.ExecuteNonQueryAsync(cancellationToken);
        return epoch;
    }
}
