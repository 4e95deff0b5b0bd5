using System.Text;
using System.Text.Json;
using Sluice.Server.Auth;

namespace Sluice.Tests.Auth;

public sealed class ClaimsJsonTests
{
    private static string Canonical(string json) => ClaimsJson.Canonicalize(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Keys_are_sorted_at_every_depth_and_whitespace_is_dropped()
    {
        Assert.Equal("""{"a":[{"b":1,"c":2},3],"b":{"x":null,"y":"é"},"sub":"u"}""",
            Canonical("""{ "sub": "u", "b": { "y": "é", "x": null }, "a": [ { "c": 2, "b": 1 }, 3 ] }"""));
    }

    [Fact]
    public void Per_token_claims_are_left_out_at_the_top_level_only()
    {
        Assert.Equal("""{"nested":{"exp":1},"sub":"u"}""", Canonical("""{"exp":1,"iat":2,"nbf":3,"jti":"x","sub":"u","nested":{"exp":1}}"""));
    }

    [Fact]
    public void Equal_claims_in_any_order_give_the_same_text()
    {
        Assert.Equal(Canonical("""{"a":1,"b":[1,2],"c":{"d":true}}"""), Canonical("""{"c":{"d":true},"b":[1,2],"a":1}"""));
        Assert.NotEqual(Canonical("""{"b":[1,2]}"""), Canonical("""{"b":[2,1]}"""));
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("[1]")]
    [InlineData("not json")]
    public void Duplicate_names_and_non_objects_are_rejected(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Canonical(json));
    }

    [Fact]
    public void An_anonymous_claim_set_holds_only_the_role()
    {
        Assert.Equal("""{"role":"anon"}""", ClaimsJson.ForRole("anon"));
        Assert.Equal("anon\n{\"role\":\"anon\"}", ConnectionIdentity.Anonymous("anon").ClaimSetKey);
    }
}
