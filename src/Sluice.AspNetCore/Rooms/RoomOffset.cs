using System.Globalization;
using System.Security.Cryptography;

namespace Sluice.Server.Rooms;

/// <summary>
/// Offsets of room messages: <c>r&lt;epoch&gt;-&lt;sequence&gt;</c>, the epoch 8 hex digits drawn at start-up (room
/// history lives in memory and does not survive a restart), the sequence 16 hex digits, so offsets of one epoch
/// sort as strings. Sequences come from one counter per server, so each room's offsets strictly increase (with
/// gaps) and an offset is never reused, not even by a room that was dropped and created again.
/// </summary>
internal static class RoomOffset
{
    /// <summary>A fresh epoch: 8 lowercase hex digits.</summary>
    public static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public static string Format(string epoch, ulong sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"r{epoch}-{sequence:x16}");

    /// <summary>Parses an offset of any epoch; false when the text is not shaped like a room offset.</summary>
    public static bool TryParse(string text, out string epoch, out ulong sequence)
    {
        epoch = string.Empty;
        sequence = 0;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (text.Length < 4 || text[0] != 'r' || dash < 2 || dash != text.LastIndexOf('-') || text.Length - dash - 1 is 0 or > 16)
            return false;
        foreach (var c in text.AsSpan(1, dash - 1))
        {
            if (!char.IsAsciiHexDigit(c))
                return false;
        }
        if (!ulong.TryParse(text.AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out sequence))
            return false;
        epoch = text[1..dash];
        return true;
    }
}
