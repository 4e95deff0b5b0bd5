using CsCheck;
using Sluice.Server.Log;

namespace Sluice.Tests.Log;

public sealed class ChangeOffsetTests
{
    [Fact]
    public void Formats_as_fixed_width_hex()
    {
        Assert.Equal("00000000016B3748-00000003", new ChangeOffset(0x16B3748, 3).ToString());
    }

    [Fact]
    public void Round_trips_and_sorts_as_strings_like_as_values()
    {
        var offsets = Gen.Select(Gen.ULong, Gen.UInt, (lsn, index) => new ChangeOffset(lsn, index));
        Gen.Select(offsets, offsets).Sample((a, b) =>
        {
            Assert.True(ChangeOffset.TryParse(a.ToString(), out var parsed));
            Assert.Equal(a, parsed);
            Assert.Equal(Math.Sign(a.CompareTo(b)), Math.Sign(string.CompareOrdinal(a.ToString(), b.ToString())));
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("00000000016B3748:00000003")]
    [InlineData("00000000016B374G-00000003")]
    [InlineData("00000000016B3748-0000000")]
    public void Rejects_garbage(string? text) => Assert.False(ChangeOffset.TryParse(text, out _));
}
