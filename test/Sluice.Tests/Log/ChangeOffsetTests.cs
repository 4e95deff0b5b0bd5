using CsCheck;
using Sluice.Server.Log;

namespace Sluice.Tests.Log;

public sealed class ChangeOffsetTests
{
    private static readonly LogEpoch Epoch = new("0a1b2c3d");

    [Fact]
    public void Formats_with_epoch_and_fixed_width_hex()
    {
        Assert.Equal("0a1b2c3d-00000000016B3748-00000003", new ChangeOffset(0x16B3748, 3).Format(Epoch));
    }

    [Fact]
    public void Round_trips_and_sorts_as_strings_like_as_values()
    {
        var offsets = Gen.Select(Gen.ULong, Gen.UInt, (lsn, index) => new ChangeOffset(lsn, index));
        Gen.Select(offsets, offsets).Sample((a, b) =>
        {
            Assert.True(ChangeOffset.TryParse(a.Format(Epoch), out var epoch, out var parsed));
            Assert.Equal(Epoch.Value, epoch);
            Assert.Equal(a, parsed);
            Assert.Equal(Math.Sign(a.CompareTo(b)), Math.Sign(string.CompareOrdinal(a.Format(Epoch), b.Format(Epoch))));
        });
    }

    [Fact]
    public void Writes_into_json_the_text_it_formats()
    {
        var offsets = Gen.Select(Gen.ULong, Gen.UInt, (lsn, index) => new ChangeOffset(lsn, index));
        offsets.Sample(offset =>
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                offset.WriteTo(writer, "offset"u8, Epoch);
                writer.WriteEndObject();
            }
            using var json = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory);
            Assert.Equal(offset.Format(Epoch), json.RootElement.GetProperty("offset").GetString());
        });
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("00000000016B3748-00000003")]
    [InlineData("0a1b2c3d-00000000016B3748:00000003")]
    [InlineData("0a1b2c3d-00000000016B374G-00000003")]
    [InlineData("0A1B2C3D-00000000016B3748-00000003")]
    [InlineData("0a1b2c3d-00000000016B3748-0000000")]
    public void Rejects_garbage(string? text) => Assert.False(ChangeOffset.TryParse(text, out _, out _));
}
