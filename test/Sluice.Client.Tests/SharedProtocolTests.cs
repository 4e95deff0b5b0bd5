using Sluice.Protocol;

namespace Sluice.Client.Tests;

/// <summary>The shared rules (Sluice.Protocol) the SDK decides with: which deliveries are stale, which room names are valid.</summary>
public sealed class SharedProtocolTests
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
    [InlineData("0000000a-0000000000000001-00000002", "0000000a-0000000000000001-00000002", true)]
    [InlineData("0000000a-0000000000000001-00000001", "0000000a-0000000000000001-00000002", true)]
    [InlineData("0000000a-0000000000000001-00000003", "0000000a-0000000000000001-00000002", false)]
    [InlineData("0000000a-0000000000000002-00000000", "0000000a-0000000000000001-FFFFFFFF", false)]
    [InlineData("0000000b-0000000000000001-00000001", "0000000a-0000000000000009-00000000", false)]
    [InlineData("0000000a-0000000000000001-00000001", "r0000000a-1", false)]
    [InlineData("e1-0000000000000000-00000001", "e1-0000000000000000-00000002", false)]
    public void A_delivery_is_stale_only_at_or_before_the_last_offset_of_the_same_kind_and_epoch(string offset, string last, bool stale) =>
        Assert.Equal(stale, Offsets.IsAtOrBefore(offset, last));

    [Theory]
    [InlineData("lobby", true)]
    [InlineData("A-Z_a.z:0@9", true)]
    [InlineData("", false)]
    [InlineData("two words", false)]
    [InlineData("slash/ed", false)]
    [InlineData("room#1", false)]
    public void Room_names_follow_the_spec(string name, bool valid) => Assert.Equal(valid, RoomChannels.IsValidName(name, out _));

    [Fact]
    public void No_public_type_of_the_shared_package_has_the_name_of_one_of_the_sdk()
    {
        // An app with `using Sluice.Client; using Sluice.Protocol;` (for ChangeEvents, ErrorCodes) must never meet CS0104.
        var sdk = typeof(SluiceClient).Assembly.GetExportedTypes().Select(static type => type.Name).ToHashSet(StringComparer.Ordinal);
        var shared = typeof(ErrorCodes).Assembly.GetExportedTypes().Select(static type => type.Name).ToList();
        Assert.Contains(nameof(RoomChannels), shared);
        Assert.Equal([], shared.Where(sdk.Contains).ToList());
    }

    [Fact]
    public async Task Room_refuses_an_invalid_name_with_the_reason()
    {
        await using var client = new SluiceClient(new SluiceClientOptions { Url = new Uri("ws://localhost:1/realtime") });
        var error = Assert.Throws<ArgumentException>(() => client.Room("two words"));
        Assert.Contains("may contain only", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => client.Room(null!));
    }
}
