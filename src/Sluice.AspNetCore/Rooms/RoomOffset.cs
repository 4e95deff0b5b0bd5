using System.Globalization;
using System.Security.Cryptography;
using Sluice.Protocol;

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

    /// <summary>Parses an offset of any epoch (the shared rules of <see cref="Offsets"/>); false when the text is not shaped like a room offset.</summary>
    public static bool TryParse(string text, out string epoch, out ulong sequence)
    {
        var parsed = Offsets.TryParseRoom(text, out var parsedEpoch, out sequence);
        epoch = parsedEpoch ?? string.Empty;
        return parsed;
    }
}
