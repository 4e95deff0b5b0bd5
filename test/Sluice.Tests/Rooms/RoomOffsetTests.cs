using CsCheck;
using Sluice.Server.Rooms;

namespace Sluice.Tests.Rooms;

public sealed class RoomOffsetTests
{
    [Fact]
    public void Formats_epoch_and_sequence()
    {
        Assert.Equal("r0a1b2c3d-000000000000002a", RoomOffset.Format("0a1b2c3d", 42));
        Assert.True(RoomOffset.TryParse("r0a1b2c3d-000000000000002a", out var epoch, out var sequence));
        Assert.Equal("0a1b2c3d", epoch);
        Assert.Equal(42UL, sequence);
    }

    [Theory]
    [InlineData("")]
    [InlineData("r")]
    [InlineData("r-1")]
    [InlineData("rabc-")]
    [InlineData("xabc-1")]
    [InlineData("rabc-1-2")]
    [InlineData("rxyz-1")]
    [InlineData("rabc-zz")]
    [InlineData("rabc-10000000000000000")]
    [InlineData("3f2a9c01-00000000016B3740-00000002")]
    public void Refuses_what_is_not_a_room_offset(string text) =>
        Assert.False(RoomOffset.TryParse(text, out _, out _));

    [Fact]
    public void Round_trips_and_sorts_as_strings_within_an_epoch()
    {
        var epoch = RoomOffset.NewEpoch();
        Assert.Equal(8, epoch.Length);
        Gen.Select(Gen.ULong, Gen.ULong).Sample((a, b) =>
        {
            var (x, y) = (RoomOffset.Format(epoch, a), RoomOffset.Format(epoch, b));
            return RoomOffset.TryParse(x, out var e, out var parsed) && e == epoch && parsed == a
                && Math.Sign(string.CompareOrdinal(x, y)) == a.CompareTo(b);
        }, iter: 2_000);
    }
}
