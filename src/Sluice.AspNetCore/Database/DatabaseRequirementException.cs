namespace Sluice.Server.Database;

/// <summary>
/// The database is not ready for Sluice (wal_level, the role's REPLICATION, the slot): the message is one line naming
/// the setting or switch and the fix.
/// </summary>
internal sealed class DatabaseRequirementException(string message) : InvalidOperationException(message);
