using Sluice.IntegrationTests.Auth;
using Sluice.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Supabase;

/// <summary>
/// Runs <c>test/compat/compat-authorization.js</c>: the unchanged <c>@supabase/supabase-js</c> on private channels whose
/// policies on <c>realtime.messages</c> are written as Supabase's Realtime Authorization docs write them (a membership
/// table, <c>realtime.topic()</c>, <c>extension</c>), with Broadcast from Database (the documented
/// <c>realtime.broadcast_changes</c> trigger) and replay on them, for vsn 1.0.0 and the default 2.0.0. Roles are cluster-wide: the
/// test uses its own in place of <c>authenticated</c> and <c>anon</c>.
/// </summary>
public sealed class SupabaseAuthorizationCompatTests(PostgresFixture postgres, ITestOutputHelper output) : AuthServerTest(postgres)
{
    private const string Authenticated = "authz_authenticated";
    private const string Anon = "authz_anon";

    protected override string[] MoreServerArgs => ["--authenticated-role", Authenticated, "--anonymous-role", Anon];

    [Fact]
    public async Task Supabase_js_private_channels_follow_the_policies_on_realtime_messages()
    {
        await Database.ExecuteAsync($$"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{{Authenticated}}') THEN CREATE ROLE {{Authenticated}} NOLOGIN; END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{{Anon}}') THEN CREATE ROLE {{Anon}} NOLOGIN; END IF;
            END $$;
            CREATE TABLE public.organization_members (user_id text NOT NULL, organization_id text NOT NULL, can_write boolean NOT NULL);
            GRANT SELECT ON public.organization_members TO {{Authenticated}}, {{Anon}};
            INSERT INTO public.organization_members VALUES ('alice', 'acme', true), ('dave', 'acme', true), ('bob', 'acme', false), ('carol', 'globex', true);

            create policy "members can read broadcast and presence"
            on "realtime"."messages"
            for select
            to {{Authenticated}}
            using (
              exists (
                select 1 from public.organization_members m
                where m.user_id = (select auth.jwt() ->> 'sub')
                  and 'org:' || m.organization_id = (select realtime.topic())
                  and realtime.messages.extension in ('broadcast', 'presence')
              )
            );

            -- Broadcast from Database, as Supabase's docs write it: a trigger sends every change of a note to its organization's topic.
            CREATE TABLE public.notes (id bigint PRIMARY KEY, organization_id text NOT NULL, body text);
            create or replace function public.notes_changes()
            returns trigger
            security definer
            language plpgsql
            as $$
            begin
              perform realtime.broadcast_changes(
                'org:' || coalesce(NEW.organization_id, OLD.organization_id) ::text,
                TG_OP,
                TG_OP,
                TG_TABLE_NAME,
                TG_TABLE_SCHEMA,
                NEW,
                OLD
              );
              return null;
            end;
            $$;
            create trigger handle_notes_changes
            after insert or update or delete
            on public.notes
            for each row
            execute function notes_changes ();

            create policy "writers can send broadcast and track presence"
            on "realtime"."messages"
            for insert
            to {{Authenticated}}
            with check (
              exists (
                select 1 from public.organization_members m
                where m.user_id = (select auth.jwt() ->> 'sub')
                  and m.can_write
                  and 'org:' || m.organization_id = (select realtime.topic())
                  and realtime.messages.extension in ('broadcast', 'presence')
              )
            );
            """);
        string TokenOf(string user) => Tokens.Hs256(new Dictionary<string, object> { ["sub"] = user, ["role"] = Authenticated });

        var (code, text) = await CompatScripts.RunAsync("compat-authorization.js", Server, Database, new Dictionary<string, string>
        {
            ["TOKEN_ALICE"] = TokenOf("alice"),
            ["TOKEN_BOB"] = TokenOf("bob"),
            ["TOKEN_DAVE"] = TokenOf("dave"),
            ["TOKEN_CAROL"] = TokenOf("carol"),
            ["ANON_KEY"] = Tokens.Hs256(new Dictionary<string, object> { ["role"] = Anon }),
        });
        output.WriteLine(text);
        Assert.True(code == 0, "compat-authorization.js failed:\n" + text);
        Assert.Contains("ok - realtime authorization vsn 1.0.0", text);
        Assert.Contains("ok - realtime authorization vsn default", text);
    }
}
