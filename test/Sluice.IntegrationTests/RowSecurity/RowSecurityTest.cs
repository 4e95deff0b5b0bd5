using System.Text.Json;
using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// An organization-scoped application: <c>messages(organization_id, …)</c> with a SELECT policy scoped by the token's
/// <c>organization_id</c> claim. Roles are cluster-wide, so these tests use their own role names (<c>rls_member</c>
/// for tokens, <c>rls_visitor</c> for anonymous connections) and leave the usual ones alone.
/// </summary>
public abstract class RowSecurityTest(PostgresFixture postgres) : AuthServerTest(postgres)
{
    protected const string Member = "rls_member";
    protected const string Visitor = "rls_visitor";
    protected const string Channel = "table:public.messages";

    protected override string[] MoreServerArgs => ["--authenticated-role", Member, "--anonymous-role", Visitor, .. EvenMoreServerArgs];

    protected virtual string[] EvenMoreServerArgs => [];

    protected async Task CreateMessagesAsync()
    {
        await Database.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Member}') THEN CREATE ROLE {Member} NOLOGIN; END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Visitor}') THEN CREATE ROLE {Visitor} NOLOGIN; END IF;
            END $$
            """);
        await CreateTableAsync("messages", "id bigint PRIMARY KEY, organization_id int NOT NULL, body text");
        await CreateTableAsync("notices", "id bigint PRIMARY KEY, body text");
        await Database.ExecuteAsync($"""
            ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
            GRANT SELECT ON public.messages, public.notices TO {Member}, {Visitor};
            CREATE POLICY organization_members ON public.messages FOR SELECT TO {Member}
              USING (organization_id = (auth.jwt() ->> 'organization_id')::int);
            """);
    }

    protected string TokenFor(object organization, string? subject = null) =>
        Tokens.Hs256(new Dictionary<string, object> { ["sub"] = subject ?? $"user-of-{organization}", ["organization_id"] = organization });

    protected Task InsertAsync(long id, int organization, string body = "hello") =>
        Database.ExecuteAsync("INSERT INTO public.messages VALUES ($1, $2, $3)", id, organization, body);

    /// <summary>The ids of the next changes up to and including <paramref name="lastId"/> (changes arrive in commit order, so nothing else can come before it).</summary>
    protected static async Task<List<long>> IdsUntilAsync(TestClient client, long lastId)
    {
        var ids = new List<long>();
        while (true)
        {
            var change = await client.NextChangeAsync();
            var id = RowId(change);
            ids.Add(id);
            if (id == lastId)
                return ids;
        }
    }

    protected static long RowId(JsonElement change)
    {
        var payload = change.GetProperty("payload");
        var row = payload.TryGetProperty("record", out var record) && record.ValueKind == JsonValueKind.Object ? record : payload.GetProperty("old_record");
        return row.GetProperty("id").GetInt64();
    }
}
