using CsCheck;
using Sluice.Protocol;

namespace Sluice.Tests.Protocol;

public sealed class TableChannelTests
{
    [Theory]
    [InlineData("table:public.products", "public", "products")]
    [InlineData("table:inventory.Items", "inventory", "Items")]
    [InlineData("table:public.\"odd.name\"", "public", "odd.name")]
    [InlineData("table:\"my schema\".\"say \"\"hi\"\"\"", "my schema", "say \"hi\"")]
    [InlineData("table:public.products'; DROP TABLE x; --", "public", "products'; DROP TABLE x; --")]
    public void Parses_valid_channels(string channel, string schema, string table)
    {
        Assert.True(TableChannel.TryParse(channel, out var parsed, out var error), error);
        Assert.Equal(new TableChannel(schema, table), parsed);
    }

    [Theory]
    [InlineData("products")]
    [InlineData("room:lobby")]
    [InlineData("table:")]
    [InlineData("table:products")]
    [InlineData("table:.products")]
    [InlineData("table:public.")]
    [InlineData("table:public.\"unterminated")]
    [InlineData("table:public.\"a\"b")]
    [InlineData("table:public.a.b")]
    [InlineData("table:public.a\u0001b")]
    public void Rejects_malformed_channels_with_a_reason(string channel)
    {
        Assert.False(TableChannel.TryParse(channel, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Rejects_names_over_postgres_identifier_limit()
    {
        Assert.True(TableChannel.TryParse("table:public." + new string('x', 63), out _, out _));
        Assert.False(TableChannel.TryParse("table:public." + new string('x', 64), out _, out _));
        Assert.False(TableChannel.TryParse("table:public." + new string('é', 32), out _, out _));
        Assert.False(TableChannel.TryParse("table:public." + new string('x', 5000), out _, out _));
    }

    [Fact]
    public void Canonical_form_round_trips_for_any_names()
    {
        var name = Gen.String[Gen.Char.Where(c => !char.IsControl(c) && !char.IsSurrogate(c)), 1, 20];
        Gen.Select(name, name).Sample((schema, table) =>
        {
            var channel = new TableChannel(schema, table);
            Assert.True(TableChannel.TryParse(channel.ToString(), out var parsed, out var error), error);
            Assert.Equal(channel, parsed);
        });
    }
}
