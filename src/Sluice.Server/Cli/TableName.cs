using Sluice.Protocol;

namespace Sluice.Server.Cli;

/// <summary>What the CLI accepts as a table: <c>schema.table</c>, or a bare <c>table</c> meaning <c>public.table</c> (as SQL's default search path does).</summary>
internal static class TableName
{
    /// <summary>The table as <c>schema.table</c> (names quoted as in a table channel when needed).</summary>
    /// <exception cref="CliException">Neither form parses; the message shows the expected form.</exception>
    public static string Qualify(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith(TableChannel.Prefix, StringComparison.Ordinal))
            name = name[TableChannel.Prefix.Length..];
        if (TableChannel.TryParse(TableChannel.Prefix + name, out var qualified, out _)
            || TableChannel.TryParse(TableChannel.Prefix + "public." + name, out qualified, out _))
            return qualified.ToString()[TableChannel.Prefix.Length..];
        throw new CliException(
            $"'{name}' is not a table name: write schema.table (e.g. public.orders), or just the table for the public schema; "
            + "quote names that contain '.' or '\"' (\"my.schema\".orders)",
            CliExitCodes.Usage);
    }
}
