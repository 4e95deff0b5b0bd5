using Sluice.Protocol;

namespace Sluice.Tests.Protocol;

public sealed class RoomChannelsTests
{
    [Theory]
    [InlineData("room:lobby", "lobby")]
    [InlineData("room:org-acme:general", "org-acme:general")]
    [InlineData("room:A.b_c-d@e:9", "A.b_c-d@e:9")]
    public void Parses_room_names(string channel, string name)
    {
        Assert.True(RoomChannels.TryParse(channel, out var parsed, out var error), error);
        Assert.Equal(name, parsed);
        Assert.Equal(channel, RoomChannels.ForName(parsed));
    }

    [Theory]
    [InlineData("room:")]
    [InlineData("room:has space")]
    [InlineData("room:star*")]
    [InlineData("room:brace{x}")]
    [InlineData("room:é")]
    [InlineData("table:public.products")]
    [InlineData("realtime:lobby")]
    [InlineData("Room:lobby")]
    public void Refuses_malformed_room_channels(string channel)
    {
        Assert.False(RoomChannels.TryParse(channel, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Names_are_at_most_200_characters()
    {
        Assert.True(RoomChannels.TryParse("room:" + new string('a', 200), out _, out _));
        Assert.False(RoomChannels.TryParse("room:" + new string('a', 201), out _, out _));
    }
}
