namespace Sluice.Server.Http;

/// <summary><c>GET /api/admin/tables</c>: every user table of the database, realtime-enabled or not.</summary>
internal sealed record AdminTablesResponse(IReadOnlyList<AdminTable> Tables);
