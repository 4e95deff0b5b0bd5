using Sluice.Server.Auth;
using Sluice.Server.Rooms;

namespace Sluice.Tests.Rooms;

public sealed class RoomAccessTests
{
    private static readonly RoomAccess Access = new(new RoomOptions
    {
        Private =
        [
            new PrivateRoomRule { Pattern = "org-{organization_id}:*" },
            new PrivateRoomRule { Pattern = "org-*:admin", Actions = ["subscribe", "publish"] },
            new PrivateRoomRule { Pattern = "org-{organization_id}:admin", Actions = ["publish"] },
            new PrivateRoomRule { Pattern = "user-{sub}", Actions = ["presence"] },
        ],
    });

    private static ConnectionIdentity User(string claims, string role = "authenticated") =>
        new(role, claims, null, DateTimeOffset.UtcNow.AddHours(1));

    [Fact]
    public void Rooms_no_rule_covers_are_open_to_everyone()
    {
        var anonymous = ConnectionIdentity.Anonymous("anon");
        Assert.True(Access.IsAllowed(anonymous, "lobby", RoomActions.Subscribe));
        Assert.True(Access.IsAllowed(anonymous, "lobby", RoomActions.Publish));
        Assert.True(Access.IsAllowed(anonymous, "user-1", RoomActions.Subscribe));
        Assert.False(Access.IsAllowed(anonymous, "user-1", RoomActions.Presence));
    }

    [Fact]
    public void Claims_must_satisfy_every_rule_that_covers_the_room()
    {
        var acme = User("""{"organization_id":"acme","sub":"u1"}""");
        Assert.True(Access.IsAllowed(acme, "org-acme:general", RoomActions.Subscribe));
        Assert.False(Access.IsAllowed(acme, "org-globex:general", RoomActions.Subscribe));
        // org-*:admin has no placeholder, so it admits every token for subscribe; the acme rule still applies.
        Assert.True(Access.IsAllowed(acme, "org-acme:admin", RoomActions.Subscribe));
        Assert.True(Access.IsAllowed(acme, "org-acme:admin", RoomActions.Publish));
        Assert.False(Access.IsAllowed(acme, "org-globex:admin", RoomActions.Publish));
        Assert.True(Access.IsAllowed(acme, "user-u1", RoomActions.Presence));
        Assert.False(Access.IsAllowed(acme, "user-u2", RoomActions.Presence));
    }

    [Fact]
    public void Numbers_and_booleans_are_claim_values_too_objects_are_not()
    {
        Assert.True(Access.IsAllowed(User("""{"organization_id":42}"""), "org-42:x", RoomActions.Subscribe));
        Assert.False(Access.IsAllowed(User("""{"organization_id":{"id":"acme"}}"""), "org-acme:x", RoomActions.Subscribe));
        Assert.False(Access.IsAllowed(User("""{"organization_id":null}"""), "org-null:x", RoomActions.Subscribe));
    }

    [Fact]
    public void Anonymous_connections_are_refused_and_the_service_role_bypasses()
    {
        Assert.False(Access.IsAllowed(ConnectionIdentity.Anonymous("anon"), "org-acme:general", RoomActions.Subscribe));
        var service = User("""{"role":"service_role"}""", role: "service_role");
        Assert.True(Access.IsServiceRole(service));
        Assert.True(Access.IsAllowed(service, "org-acme:general", RoomActions.Subscribe));
        Assert.True(Access.IsAllowed(service, "user-x", RoomActions.Presence));
        // An anonymous role named like the service role is not a token with that role.
        Assert.False(Access.IsServiceRole(ConnectionIdentity.Anonymous("service_role")));
        Assert.False(Access.IsAllowed(ConnectionIdentity.Anonymous("service_role"), "org-acme:general", RoomActions.Subscribe));
    }
}
