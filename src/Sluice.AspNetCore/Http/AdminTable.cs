namespace Sluice.Server.Http;

/// <summary>A table as the admin API lists it: whether its changes stream, and its replica identity.</summary>
internal sealed record AdminTable(string Schema, string Table, bool Enabled, string ReplicaIdentity);
