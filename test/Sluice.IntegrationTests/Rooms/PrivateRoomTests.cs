using Sluice.IntegrationTests.Infrastructure;
using Sluice.Protocol;

namespace Sluice.IntegrationTests.Rooms;

/// <summary><c>Sluice:Rooms:Private</c> rules checked on subscribe, publish and presence, with the service role bypassing them.</summary>
public sealed class PrivateRoomTests(PostgresFixture postgres) : RoomTest(postgres)
{
    protected override string[] RoomArgs =>
    [
        "--Sluice:Rooms:Private:0:Pattern", "org-{organization_id}:*",
        "--Sluice:Rooms:Private:1:Pattern", "announce:{organization_id}",
        "--Sluice:Rooms:Private:1:Actions:0", "publish",
        "--Sluice:Rooms:Private:2:Pattern", "profile:{sub}",
        "--Sluice:Rooms:Private:2:Actions:0", "presence",
    ];

    [Fact]
    public async Task Subscribing_to_a_private_room_needs_matching_claims_or_the_service_role()
    {
        await using var member = await ConnectWithTokenAsync(UserToken("alice", organization: "acme"));
        await JoinAsync(member, "room:org-acme:general");
        await JoinAsync(member, "room:org-acme:");
        await JoinAsync(member, "room:lobby");
        await member.SendAsync(new { type = "subscribe", channel = "room:org-globex:general" });
        Assert.Equal("room:org-globex:general", (await ExpectErrorAsync(member, ErrorCodes.Forbidden)).GetProperty("channel").GetString());

        await using var anonymous = await Server.ConnectAsync();
        await anonymous.SendAsync(new { type = "subscribe", channel = "room:org-acme:general" });
        await ExpectErrorAsync(anonymous, ErrorCodes.Forbidden);
        await JoinAsync(anonymous, "room:lobby");

        await using var noClaim = await ConnectWithTokenAsync(UserToken("bob"));
        await noClaim.SendAsync(new { type = "subscribe", channel = "room:org-acme:general" });
        await ExpectErrorAsync(noClaim, ErrorCodes.Forbidden);

        // A claim value is matched literally: "*" is not a wildcard.
        await using var wildcard = await ConnectWithTokenAsync(UserToken("mallory", organization: "*"));
        await wildcard.SendAsync(new { type = "subscribe", channel = "room:org-acme:general" });
        await ExpectErrorAsync(wildcard, ErrorCodes.Forbidden);

        await using var service = await ConnectWithTokenAsync(ServiceToken());
        await JoinAsync(service, "room:org-globex:general");

        // The member sees what the service publishes into its organization's room.
        await JoinAsync(service, "room:org-acme:general");
        await PublishAsync(service, "room:org-acme:general", "hello", new { from = "server" });
        await ExpectMessageAsync(member, "room:org-acme:general", "hello");
    }

    [Fact]
    public async Task Publishing_is_checked_on_every_frame()
    {
        await using var reader = await Server.ConnectAsync();
        await JoinAsync(reader, "room:announce:acme");

        await using var member = await ConnectWithTokenAsync(UserToken("alice", organization: "acme"));
        await JoinAsync(member, "room:announce:acme");
        await PublishAckedAsync(member, "room:announce:acme", "news", 1, "n1");
        await ExpectMessageAsync(reader, "room:announce:acme", "news");

        await PublishAsync(reader, "room:announce:acme", "spoof", 2, reference: "s1");
        Assert.Equal("s1", (await ExpectErrorAsync(reader, ErrorCodes.Forbidden)).GetProperty("ref").GetString());

        await using var outsider = await ConnectWithTokenAsync(UserToken("eve", organization: "globex"));
        await JoinAsync(outsider, "room:announce:acme");
        await PublishAsync(outsider, "room:announce:acme", "spoof", 3);
        await ExpectErrorAsync(outsider, ErrorCodes.Forbidden);

        await using var service = await ConnectWithTokenAsync(ServiceToken());
        await JoinAsync(service, "room:announce:acme");
        await PublishAckedAsync(service, "room:announce:acme", "official", 4, "o1");
        await ExpectMessageAsync(member, "room:announce:acme", "official");

        // A refreshed token with other claims applies to the next publish.
        await member.SendAsync(new { type = "auth", token = UserToken("alice", organization: "globex") });
        await ExpectAsync(member, "auth_ok");
        await PublishAsync(member, "room:announce:acme", "late", 5);
        await ExpectErrorAsync(member, ErrorCodes.Forbidden);

        // Nothing refused reached the reader: its next message is the service's.
        Assert.Equal(4, (await ExpectMessageAsync(reader, "room:announce:acme", "official")).GetProperty("payload").GetInt32());
    }

    [Fact]
    public async Task A_refreshed_token_the_room_no_longer_admits_ends_the_subscription()
    {
        await using var member = await ConnectWithTokenAsync(UserToken("alice", organization: "acme"));
        await JoinAsync(member, "room:org-acme:general");
        await JoinAsync(member, "room:lobby");

        await member.SendAsync(new { type = "auth", token = UserToken("alice", organization: "globex") });
        await ExpectAsync(member, "auth_ok");
        Assert.Equal("room:org-acme:general", (await ExpectErrorAsync(member, ErrorCodes.Forbidden)).GetProperty("channel").GetString());

        await using var service = await ConnectWithTokenAsync(ServiceToken());
        await JoinAsync(service, "room:org-acme:general");
        await JoinAsync(service, "room:lobby");
        await PublishAckedAsync(service, "room:org-acme:general", "secret", 1, "s");
        await PublishAckedAsync(service, "room:lobby", "public", 2, "p");
        // The private message never reached the member: its next message is the public one.
        await ExpectMessageAsync(member, "room:lobby", "public");
    }

    [Fact]
    public async Task Tracking_presence_is_checked_but_leaving_is_not()
    {
        await using var owner = await ConnectWithTokenAsync(UserToken("user-1"));
        await using var other = await ConnectWithTokenAsync(UserToken("user-2"));
        await using var anonymous = await Server.ConnectAsync();
        await using var service = await ConnectWithTokenAsync(ServiceToken());
        foreach (var client in new[] { owner, other, anonymous, service })
            await JoinAsync(client, "room:profile:user-1");

        await TrackAsync(other, "room:profile:user-1", new { typing = true });
        await ExpectErrorAsync(other, ErrorCodes.Forbidden);
        await TrackAsync(anonymous, "room:profile:user-1", new { typing = true });
        await ExpectErrorAsync(anonymous, ErrorCodes.Forbidden);

        await TrackAsync(owner, "room:profile:user-1", new { typing = true });
        foreach (var client in new[] { owner, other, anonymous, service })
            Assert.Equal("user-1", Assert.Single((await ExpectAsync(client, "presence_diff")).GetProperty("joins").EnumerateArray().ToArray()).GetProperty("key").GetString());

        await TrackAsync(service, "room:profile:user-1", new { watching = true }, key: "service");
        foreach (var client in new[] { owner, other, anonymous, service })
            Assert.Equal("service", Assert.Single((await ExpectAsync(client, "presence_diff")).GetProperty("joins").EnumerateArray().ToArray()).GetProperty("key").GetString());

        // Publishing is not restricted by a presence-only rule.
        await PublishAsync(other, "room:profile:user-1", "ping", 1, self: true);
        await ExpectMessageAsync(other, "room:profile:user-1", "ping");
    }
}
