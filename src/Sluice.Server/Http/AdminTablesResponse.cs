namespace Sluice.Server.Http;

/// <summary><c>GET /api/admin/tables</c>: every user table of the database, realtime-enabled or not.</summary>
public sealed record AdminTablesResponse(IReadOnlyList<AdminTable> Tables);
