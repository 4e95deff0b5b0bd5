using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Tests.Auth;

namespace Sluice.IntegrationTests.Golden;

/// <summary>
/// What the golden-frame tests share: a server with signing keys and roles of their own, fixed-expiry tokens (so
/// <c>expires_at</c> needs no placeholder), the tables of the scripts, and running a script into its golden file.
/// </summary>
public abstract class GoldenTest(PostgresFixture postgres) : ServerTest(postgres)
{
    /// <summary>Roles the scripts' connections act as (cluster-wide; created when missing, granted per test database).</summary>
    protected const string AnonymousRole = "golden_anon";
    protected const string UserRole = "golden_user";

    private static readonly SymmetricSecurityKey SigningKey = new(Encoding.UTF8.GetBytes(TestTokens.Secret));

    /// <summary>The expiry of every valid token of the scripts: fixed, so the frames that carry it are the same every run.</summary>
    protected static readonly DateTime FarFuture = new(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    protected override string[] ServerArgs =>
    [
        "--jwt-secret", TestTokens.Secret,
        "--authenticated-role", UserRole,
        "--anonymous-role", AnonymousRole,
        // The scripts send bursts of frames (each step is followed by a heartbeat round trip): never rate-limited.
        "--messages-per-second", "100000",
        "--message-burst", "100000",
        "--Sluice:Rooms:MaxPayloadBytes", "64",
        // Small enough for one row of the scripts to be over it, large enough for the others.
        "--max-record-bytes", "1024",
        "--supabase-max-record-bytes", "1024",
        // Above what any connection of the scripts holds, except the one that runs into it.
        "--max-channels", "12",
        "--Sluice:Rooms:Private:0:Pattern", "org-{organization_id}:*",
        .. MoreServerArgs,
    ];

    protected virtual string[] MoreServerArgs => [];

    protected static string Token(string subject, DateTime? expires = null, string? role = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (role is not null)
            claims["role"] = role;
        return TestTokens.Create(SigningKey, claims: claims, expires: expires ?? FarFuture);
    }

    /// <summary>The roles, and the tables every script uses.</summary>
    protected async Task CreateWorldAsync()
    {
        await Database.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{AnonymousRole}') THEN CREATE ROLE {AnonymousRole} NOLOGIN; END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{UserRole}') THEN CREATE ROLE {UserRole} NOLOGIN; END IF;
            END $$
            """);
        // products: REPLICA IDENTITY FULL (enable_realtime sets it); notes: REPLICA IDENTITY DEFAULT; plain: not enabled;
        // secret: enabled, but neither role may read it; tasks (FULL) and memos (DEFAULT): row-level security, golden_user sees
        // the rows whose owner is its token's subject; docs: for rows over the maximum record size; counters: a long snapshot.
        // Rows are only ever inserted before a snapshot reads them, so it reads them in insertion order.
        await Database.ExecuteAsync("""
            CREATE TABLE public.products (id bigint PRIMARY KEY, name text, price numeric(10,2), tags text[], meta jsonb, in_stock boolean,
                                          updated_at timestamptz);
            SELECT enable_realtime('public', 'products');
            CREATE TABLE public.notes (id bigint PRIMARY KEY, body text, pinned boolean);
            SELECT enable_realtime('public', 'notes');
            ALTER TABLE public.notes REPLICA IDENTITY DEFAULT;
            CREATE TABLE public.plain (id bigint PRIMARY KEY);
            CREATE TABLE public.secret (id bigint PRIMARY KEY, code text);
            SELECT enable_realtime('public', 'secret');
            CREATE TABLE public.gadgets (id bigint PRIMARY KEY, name text);
            SELECT enable_realtime('public', 'gadgets');
            CREATE TABLE public.tasks (id bigint PRIMARY KEY, owner text NOT NULL, title text);
            SELECT enable_realtime('public', 'tasks');
            ALTER TABLE public.tasks ENABLE ROW LEVEL SECURITY;
            CREATE TABLE public.memos (id bigint PRIMARY KEY, owner text NOT NULL, body text);
            SELECT enable_realtime('public', 'memos');
            ALTER TABLE public.memos REPLICA IDENTITY DEFAULT;
            ALTER TABLE public.memos ENABLE ROW LEVEL SECURITY;
            CREATE TABLE public.docs (id bigint PRIMARY KEY, title text, body text);
            SELECT enable_realtime('public', 'docs');
            CREATE TABLE public.counters (id int PRIMARY KEY);
            SELECT enable_realtime('public', 'counters');
            """);
        await Database.ExecuteAsync($"""
            GRANT SELECT ON public.products, public.notes, public.plain, public.gadgets, public.tasks, public.memos, public.docs, public.counters
              TO {AnonymousRole}, {UserRole};
            CREATE POLICY owner_only ON public.tasks FOR SELECT TO {UserRole} USING (owner = auth.jwt() ->> 'sub');
            CREATE POLICY owner_only ON public.memos FOR SELECT TO {UserRole} USING (owner = auth.jwt() ->> 'sub');
            """);
    }

    /// <summary>Runs <paramref name="script"/> and compares what it recorded with <paramref name="goldenFile"/>, also when the script failed midway.</summary>
    protected static async Task RunGoldenAsync(string goldenFile, GoldenSession.SyncFrames sync, Func<GoldenSession, Task> script)
    {
        await using var session = new GoldenSession(sync);
        Exception? failure = null;
        try
        {
            await script(session);
        }
        catch (Exception ex)
        {
            // Reported with the transcript so far (and where it leaves the golden file), which says more than the exception alone.
            failure = ex;
        }
        GoldenFile.Verify(goldenFile, session.Lines, failure);
    }

    /// <summary>Sends a frame and records everything the server answers to it (each session handles its client's frames in order).</summary>
    protected static async Task<List<WireFrame>> AskAsync(GoldenSession session, WireClient client, string frame)
    {
        await session.SendAsync(client, frame);
        return await session.SyncAsync(client);
    }

    /// <summary>Runs a statement and writes it into the transcript as a comment.</summary>
    protected async Task SqlAsync(GoldenSession session, string sql)
    {
        session.Comment("sql: " + sql);
        await Database.ExecuteAsync(sql);
    }

    /// <summary>A string property of a text frame, by path (for values the script sends back, such as offsets).</summary>
    protected static string Field(WireFrame frame, params string[] path)
    {
        using var document = JsonDocument.Parse(frame.Bytes);
        var element = document.RootElement;
        foreach (var name in path)
            element = int.TryParse(name, out var index) ? element[index] : element.GetProperty(name);
        return element.GetString()!;
    }
}
