using Npgsql.Replication.PgOutput;

namespace Sluice.Server.Capture;

/// <summary>Copies a pgoutput tuple out of Npgsql's recycled buffers into an immutable value array.</summary>
internal static class RowReader
{
    /// <summary>Reads every column; with <paramref name="keyOnly"/> (a replica identity key tuple) columns outside the key are unavailable.</summary>
    public static async ValueTask<string?[]> ReadAsync(ReplicationTuple tuple, TableSchema table, bool keyOnly, CancellationToken cancellationToken)
    {
        var values = new string?[table.Columns.Length];
        var i = 0;
        await foreach (var value in tuple.WithCancellation(cancellationToken))
        {
            if (i >= values.Length)
                break;
            if (keyOnly && !table.Columns[i].IsKey)
                values[i] = RowValues.Unavailable;
            else if (value.IsDBNull)
                values[i] = null;
            else if (value.IsUnchangedToastedValue)
                values[i] = RowValues.Unavailable;
            else
                values[i] = await value.Get<string>(cancellationToken);
            i++;
        }
        return values;
    }

    /// <summary>Fills values the new row lacks (unchanged TOAST) from the old row.</summary>
    public static void FillUnavailable(string?[] newValues, string?[]? oldValues)
    {
        if (oldValues is null)
            return;
        for (var i = 0; i < newValues.Length && i < oldValues.Length; i++)
        {
            if (RowValues.IsUnavailable(newValues[i]))
                newValues[i] = oldValues[i];
        }
    }
}
