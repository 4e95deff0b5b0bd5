using Sluice.IntegrationTests.Infrastructure;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// Issue 15, item 3: with <c>REPLICA IDENTITY DEFAULT</c> the WAL does not carry an unchanged TOASTed value of an UPDATE,
/// nor anything but the key of a DELETE's old row. A policy that reads such a value cannot be judged: the change is
/// withheld with <c>access_check_failed</c>, never judged as if the value were NULL. A policy that does not read it still
/// decides.
/// </summary>
public sealed class MissingValueTests(PostgresFixture postgres) : FailClosedTest(postgres)
{
    private async Task CreateDocumentsAsync()
    {
        await CreateMessagesAsync();
        await CreateTableAsync("documents", "id bigint PRIMARY KEY, organization_id int NOT NULL, acl text, body text");
        await Database.ExecuteAsync($"""
            ALTER TABLE public.documents REPLICA IDENTITY DEFAULT;
            ALTER TABLE public.documents ALTER COLUMN acl SET STORAGE EXTERNAL;
            ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;
            GRANT SELECT ON public.documents TO {Member}, {Visitor};
            CREATE POLICY public_documents ON public.documents FOR SELECT TO {Visitor} USING (acl IS NULL OR acl = 'public');
            CREATE POLICY organization_documents ON public.documents FOR SELECT TO {Member}
              USING (organization_id = (auth.jwt() ->> 'organization_id')::int);
            """);
    }

    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task An_unchanged_toasted_value_and_a_key_only_old_row_are_never_judged_as_null(Wire wire)
    {
        await CreateDocumentsAsync();
        var anonymous = await SubscribeAsync(wire, null, "documents");
        var organization1 = await SubscribeAsync(wire, TokenFor(1), "documents");

        // A private document whose acl is stored out of line (TOAST): an UPDATE that leaves it alone does not log it.
        await Database.ExecuteAsync(
            $"INSERT INTO public.documents SELECT 1, 1, 'private:' || string_agg(md5(i::text), ''), '{Secret} v1' FROM generate_series(1, 400) i");
        await Database.ExecuteAsync($"UPDATE public.documents SET body = '{Secret} v2' WHERE id = 1");
        await Database.ExecuteAsync("DELETE FROM public.documents WHERE id = 1");
        await Database.ExecuteAsync("INSERT INTO public.documents VALUES (2, 1, 'public', 'marker')");

        var toAnonymous = await anonymous.UntilRowAsync("body", "marker");
        AssertNeverDelivered(toAnonymous, Secret, "the anonymous subscriber");
        Assert.DoesNotContain(toAnonymous, d => d.IsChange && d.Value("id") == "1");
        AssertWithheldWithCode(toAnonymous, "the anonymous subscriber");

        // Organization 1's policy reads organization_id, which the UPDATE carries: it decides. The DELETE's key-only old row
        // lacks it, so the DELETE is withheld from it too.
        var toMember = await organization1.UntilRowAsync("body", "marker");
        Assert.Contains(toMember, d => d.IsChange && d.Type == "INSERT" && d.Value("id") == "1");
        Assert.Contains(toMember, d => d.IsChange && d.Type == "UPDATE" && d.Value("body") == $"{Secret} v2");
        Assert.DoesNotContain(toMember, d => d.IsChange && d.Type == "DELETE");
        AssertWithheldWithCode(toMember, "organization 1's member");
    }

    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task A_delete_is_judged_when_the_policy_reads_only_the_key(Wire wire)
    {
        await CreateMessagesAsync();
        await CreateTableAsync("tickets", "id bigint PRIMARY KEY, body text");
        await Database.ExecuteAsync($"""
            ALTER TABLE public.tickets REPLICA IDENTITY DEFAULT;
            ALTER TABLE public.tickets ENABLE ROW LEVEL SECURITY;
            GRANT SELECT ON public.tickets TO {Visitor};
            CREATE POLICY even_tickets ON public.tickets FOR SELECT TO {Visitor} USING (id % 2 = 0);
            """);
        var anonymous = await SubscribeAsync(wire, null, "tickets");
        await Database.ExecuteAsync("INSERT INTO public.tickets VALUES (1, 'odd'), (2, 'even')");
        await Database.ExecuteAsync("DELETE FROM public.tickets WHERE id IN (1, 2)");
        await Database.ExecuteAsync("INSERT INTO public.tickets VALUES (4, 'marker')");

        var seen = await anonymous.UntilRowAsync("body", "marker");
        Assert.Equal(["INSERT 2", "DELETE 2", "INSERT 4"], seen.Where(d => d.IsChange).Select(d => $"{d.Type} {d.Value("id")}"));
        Assert.DoesNotContain(seen, d => d.Kind == "error");
    }

    [Theory]
    [InlineData(Wire.Native)]
    [InlineData(Wire.Supabase)]
    public async Task A_policy_that_reads_the_whole_row_needs_every_column(Wire wire)
    {
        await CreateMessagesAsync();
        await CreateTableAsync("notes", "id bigint PRIMARY KEY, organization_id int NOT NULL, body text");
        // A whole-row reference leaves no column dependency behind: every column counts as read.
        await Database.ExecuteAsync($"""
            ALTER TABLE public.notes REPLICA IDENTITY DEFAULT;
            ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
            GRANT SELECT ON public.notes TO {Visitor};
            CREATE FUNCTION public.is_public_note(note public.notes) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT note.organization_id = 0 $$;
            CREATE POLICY public_notes ON public.notes FOR SELECT TO {Visitor} USING (public.is_public_note(notes));
            """);
        var anonymous = await SubscribeAsync(wire, null, "notes");
        await Database.ExecuteAsync($"INSERT INTO public.notes VALUES (1, 2, '{Secret}'), (2, 0, 'public')");
        await Database.ExecuteAsync("DELETE FROM public.notes WHERE id = 1");
        await Database.ExecuteAsync("INSERT INTO public.notes VALUES (3, 0, 'marker')");

        var seen = await anonymous.UntilRowAsync("body", "marker");
        Assert.Equal(["INSERT 2", "INSERT 3"], seen.Where(d => d.IsChange).Select(d => $"{d.Type} {d.Value("id")}"));
        AssertWithheldWithCode(seen, "the anonymous subscriber");
    }
}
