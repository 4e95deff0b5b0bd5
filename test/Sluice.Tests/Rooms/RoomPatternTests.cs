using Sluice.Server.Rooms;

namespace Sluice.Tests.Rooms;

public sealed class RoomPatternTests
{
    private static RoomPattern Pattern(string text)
    {
        Assert.True(RoomPattern.TryParse(text, out var pattern, out var error), error);
        return pattern;
    }

    private static Func<string, string?> Claims(params (string Name, string Value)[] claims) =>
        name => claims.FirstOrDefault(c => c.Name == name).Value;

    [Theory]
    [InlineData("org-{organization_id}:*", "org-acme:general", true)]
    [InlineData("org-{organization_id}:*", "org-acme:", true)]
    [InlineData("org-{organization_id}:*", "org-:x", true)]
    [InlineData("org-{organization_id}:*", "org-acme", false)]
    [InlineData("org-{organization_id}:*", "xorg-acme:general", false)]
    [InlineData("lobby", "lobby", true)]
    [InlineData("lobby", "lobby2", false)]
    [InlineData("*", "anything", true)]
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "abc", true)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("*:private", "x:y:private", true)]
    [InlineData("{a}{b}", "xy", true)]
    public void Covers_treats_placeholders_and_stars_as_wildcards(string pattern, string room, bool covered) =>
        Assert.Equal(covered, Pattern(pattern).Covers(room));

    [Fact]
    public void Admits_replaces_placeholders_with_claim_values()
    {
        var pattern = Pattern("org-{organization_id}:*");
        Assert.True(pattern.Admits("org-acme:general", Claims(("organization_id", "acme"))));
        Assert.True(pattern.Admits("org-acme:", Claims(("organization_id", "acme"))));
        Assert.False(pattern.Admits("org-globex:general", Claims(("organization_id", "acme"))));
        Assert.False(pattern.Admits("org-acme:general", Claims(("sub", "acme"))));
        Assert.False(pattern.Admits("org-acme:general", Claims(("organization_id", ""))));
        // A claim value is literal: its '*' matches only a '*' (which no room name has).
        Assert.False(pattern.Admits("org-acme:general", Claims(("organization_id", "*"))));
        Assert.False(pattern.Admits("org-acme:general", Claims(("organization_id", "ac*"))));
        // A value that is a prefix of the room's organization does not admit it.
        Assert.False(pattern.Admits("org-acme2:general", Claims(("organization_id", "acme"))));
    }

    [Fact]
    public void Several_placeholders_must_all_match()
    {
        var pattern = Pattern("dm-{sub}-{peer}");
        Assert.Equal(["sub", "peer"], pattern.ClaimNames);
        Assert.True(pattern.Admits("dm-alice-bob", Claims(("sub", "alice"), ("peer", "bob"))));
        Assert.False(pattern.Admits("dm-alice-bob", Claims(("sub", "bob"), ("peer", "alice"))));
        Assert.False(pattern.Admits("dm-alice-bob", Claims(("sub", "alice"))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("org-{organization_id")]
    [InlineData("org-{}")]
    [InlineData("org-{a b}")]
    [InlineData("has space")]
    [InlineData("room/x")]
    public void Refuses_malformed_patterns(string text)
    {
        Assert.False(RoomPattern.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
