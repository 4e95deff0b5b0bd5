using Npgsql;
using Sluice.IntegrationTests.Infrastructure;
using Sluice.Server.Auth;
using Sluice.Server.RowSecurity;

namespace Sluice.IntegrationTests.RowSecurity;

/// <summary>
/// The policies on <c>realtime.messages</c> decide what a connection may do on a private topic, written as Supabase's
/// Realtime Authorization documents them (<c>realtime.topic()</c>, <c>extension</c>, <c>auth.jwt()</c>); PostgreSQL's
/// own answer for the same role, claims and topic is the oracle. Roles are cluster-wide: these tests use their own.
/// </summary>
public sealed class TopicPolicyProbeTests(PostgresFixture postgres) : ServerTest(postgres), IDisposable
{
    private const string Member = "topic_member";

    private NpgsqlDataSource? _dataSource;
    private TopicPolicyProbe? _probe;

    /// <summary>One probe for the test (identical checks in flight are shared by one probe).</summary>
    private TopicPolicyProbe Probe => _probe ??= new TopicPolicyProbe(_dataSource = NpgsqlDataSource.Create(Database.ConnectionString));

    public void Dispose() => _dataSource?.Dispose();

    private static ConnectionIdentity MemberOf(int organization, string role = Member) =>
        new(role, $$"""{"organization_id":{{organization}},"role":"{{role}}","sub":"user-{{organization}}"}""", $"user-{organization}", DateTimeOffset.UtcNow.AddHours(1));

    private async Task CreateRoleAsync(string role = Member) =>
        await Database.ExecuteAsync($"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} NOLOGIN; END IF;
            END $$
            """);

    /// <summary>Supabase's documented shape: members of an organization read (and write) the broadcasts of its room.</summary>
    private async Task CreateOrganizationPoliciesAsync()
    {
        await CreateRoleAsync();
        await Database.ExecuteAsync($"""
            CREATE POLICY organization_reads_broadcasts ON realtime.messages FOR SELECT TO {Member}
              USING (realtime.topic() = 'org:' || (auth.jwt() ->> 'organization_id') AND realtime.messages.extension = 'broadcast');
            CREATE POLICY organization_sends_broadcasts ON realtime.messages FOR INSERT TO {Member}
              WITH CHECK (realtime.topic() = 'org:' || (auth.jwt() ->> 'organization_id') AND realtime.messages.extension = 'broadcast');
            """);
    }

    [Fact]
    public async Task A_member_reads_the_broadcasts_of_its_organization_and_nothing_else()
    {
        await CreateOrganizationPoliciesAsync();

        Assert.Equal(new TopicReadAccess(true, null), await Probe.ReadAsync(MemberOf(1), "org:1", presence: false, "{}", default));
        Assert.Equal(new TopicReadAccess(true, false), await Probe.ReadAsync(MemberOf(1), "org:1", presence: true, "{}", default));
        Assert.Equal(new TopicReadAccess(false, false), await Probe.ReadAsync(MemberOf(2), "org:1", presence: true, "{}", default));
        Assert.False((await Probe.ReadAsync(MemberOf(1), "org:2", presence: false, "{}", default)).MayJoin);
    }

    [Fact]
    public async Task Presence_is_read_by_its_own_policy()
    {
        await CreateRoleAsync();
        await Database.ExecuteAsync($"""
            CREATE POLICY lobby_presence ON realtime.messages FOR SELECT TO {Member}
              USING (realtime.topic() = 'lobby' AND realtime.messages.extension = 'presence');
            """);

        var access = await Probe.ReadAsync(MemberOf(1), "lobby", presence: true, "{}", default);
        Assert.Equal(new TopicReadAccess(false, true), access);
        Assert.True(access.MayJoin);
        Assert.False((await Probe.ReadAsync(MemberOf(1), "lobby", presence: false, "{}", default)).MayJoin);
    }

    [Fact]
    public async Task Writes_follow_the_insert_policies_per_extension()
    {
        await CreateOrganizationPoliciesAsync();

        Assert.True(await Probe.WriteAsync(MemberOf(1), "org:1", TopicExtension.Broadcast, "{}", default));
        Assert.False(await Probe.WriteAsync(MemberOf(1), "org:1", TopicExtension.Presence, "{}", default));
        Assert.False(await Probe.WriteAsync(MemberOf(2), "org:1", TopicExtension.Broadcast, "{}", default));
    }

    [Fact]
    public async Task Without_policies_nobody_reads_or_writes()
    {
        await CreateRoleAsync();

        Assert.Equal(new TopicReadAccess(false, false), await Probe.ReadAsync(MemberOf(1), "org:1", presence: true, "{}", default));
        Assert.False(await Probe.WriteAsync(MemberOf(1), "org:1", TopicExtension.Broadcast, "{}", default));
    }

    [Fact]
    public async Task Checks_leave_nothing_behind()
    {
        await CreateOrganizationPoliciesAsync();

        await Probe.ReadAsync(MemberOf(1), "org:1", presence: true, "{}", default);
        await Probe.WriteAsync(MemberOf(1), "org:1", TopicExtension.Broadcast, "{}", default);

        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM realtime.messages"));
    }

    [Fact]
    public async Task Policies_see_the_request_headers()
    {
        await CreateRoleAsync();
        await Database.ExecuteAsync($"""
            CREATE POLICY tenant_header ON realtime.messages FOR SELECT TO {Member}
              USING (pg_catalog.current_setting('request.headers', true)::jsonb ->> 'x-tenant' = 'acme');
            """);

        Assert.True((await Probe.ReadAsync(MemberOf(1), "any", presence: false, """{"x-tenant":"acme"}""", default)).Broadcast);
        Assert.False((await Probe.ReadAsync(MemberOf(1), "any", presence: false, """{"x-tenant":"other"}""", default)).Broadcast);
    }

    [Fact]
    public async Task A_policy_that_fails_is_an_error_never_an_answer()
    {
        await CreateRoleAsync();
        await Database.ExecuteAsync($"""
            CREATE POLICY broken ON realtime.messages FOR SELECT TO {Member}
              USING ((auth.jwt() ->> 'organization_id')::int / 0 = 1);
            CREATE POLICY broken_insert ON realtime.messages FOR INSERT TO {Member}
              WITH CHECK ((auth.jwt() ->> 'organization_id')::int / 0 = 1);
            """);

        var read = await Assert.ThrowsAsync<TopicProbeException>(() => Probe.ReadAsync(MemberOf(1), "org:1", presence: false, "{}", default));
        Assert.Equal(TopicProbeFailure.PolicyError, read.Failure);
        Assert.Contains("22012", read.Message);
        var write = await Assert.ThrowsAsync<TopicProbeException>(() => Probe.WriteAsync(MemberOf(1), "org:1", TopicExtension.Broadcast, "{}", default));
        Assert.Equal(TopicProbeFailure.PolicyError, write.Failure);
    }

    [Fact]
    public async Task A_role_that_does_not_exist_is_refused()
    {
        await CreateOrganizationPoliciesAsync();

        var refused = await Assert.ThrowsAsync<TopicProbeException>(() => Probe.ReadAsync(MemberOf(1, "no_such_topic_role"), "org:1", presence: false, "{}", default));
        Assert.Equal(TopicProbeFailure.PolicyError, refused.Failure);
    }

    [Fact]
    public async Task Without_a_partition_for_today_the_check_fails_with_missing_partition()
    {
        await CreateOrganizationPoliciesAsync();
        // Sluice's partition service keeps yesterday to today + 3; without them no row of today has a place.
        await Database.ExecuteAsync("""
            DO $$ DECLARE p record; BEGIN
              FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'realtime.messages'::regclass LOOP
                EXECUTE format('DROP TABLE realtime.%I', p.relname);
              END LOOP;
            END $$
            """);

        var failed = await Assert.ThrowsAsync<TopicProbeException>(() => Probe.ReadAsync(MemberOf(1), "org:1", presence: false, "{}", default));
        Assert.Equal(TopicProbeFailure.MissingPartition, failed.Failure);
    }

    [Fact]
    public async Task Identical_checks_in_flight_share_one_transaction()
    {
        await CreateRoleAsync();
        // Sequences are not transactional: the policy's calls stay counted after the probe's rollback. The policy blocks on a
        // lock the test holds, so every check asked meanwhile is asked while the first is in flight.
        await Database.ExecuteAsync($"""
            CREATE SEQUENCE public.policy_calls;
            GRANT USAGE ON SEQUENCE public.policy_calls TO {Member};
            CREATE FUNCTION public.counted_wait() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $f$
            BEGIN
              PERFORM pg_catalog.pg_advisory_lock_shared(4242);
              PERFORM pg_catalog.pg_advisory_unlock_shared(4242);
              PERFORM pg_catalog.nextval('public.policy_calls');
              RETURN true;
            END $f$;
            CREATE POLICY counted ON realtime.messages FOR SELECT TO {Member} USING (public.counted_wait());
            """);
        await using var holder = await Database.OpenAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock(4242)", holder))
            await hold.ExecuteNonQueryAsync();

        var checks = Enumerable.Range(0, 10).Select(_ => Probe.ReadAsync(MemberOf(1), "org:1", presence: false, "{}", default)).ToList();
        var other = Probe.ReadAsync(MemberOf(2), "org:1", presence: false, "{}", default);
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock(4242)", holder))
            await release.ExecuteNonQueryAsync();

        foreach (var answer in await Task.WhenAll(checks))
            Assert.True(answer.Broadcast);
        Assert.True((await other).Broadcast);
        // One probe row per check, each seen once: one check for the ten identical ones, one for the other claim set.
        Assert.Equal(2L, await Database.ScalarAsync<long>("SELECT last_value FROM public.policy_calls"));
    }
}
