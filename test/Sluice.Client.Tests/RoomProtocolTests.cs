using Sluice.Client.Protocol;

namespace Sluice.Client.Tests;

public sealed class RoomProtocolTests
{
    [Theory]
    [InlineData("r1-9", "r1-10", true)]
    [InlineData("r1-10", "r1-9", false)]
    [InlineData("r1-10", "r1-10", true)]
    [InlineData("r1-0010", "r1-9", false)]
    [InlineData("r1-000009", "r1-000010", true)]
    [InlineData("r2-1", "r1-50", false)]
    [InlineData("r1-1", "r2-50", false)]
    [InlineData("garbage", "r1-5", false)]
    [InlineData("r12-3", "r1-23", false)]
    public void Room_offsets_compare_by_sequence_within_an_epoch_only(string offset, string last, bool notAfter) =>
        Assert.Equal(notAfter, RoomProtocol.IsNotAfter(offset, last));

    [Theory]
    [InlineData("lobby", true)]
    [InlineData("A-Z_a.z:0@9", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("two words", false)]
    [InlineData("slash/ed", false)]
    [InlineData("room#1", false)]
    public void Room_names_follow_the_spec(string? name, bool valid) => Assert.Equal(valid, RoomProtocol.IsValidName(name));
}
