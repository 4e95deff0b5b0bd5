using System.Text.Json;
using Sluice.Protocol;

namespace Sluice.Server.Protocols.Messages;

/// <summary>
/// Checks the strings of a JSON document for escapes that do not make valid Unicode. JSON lets a string escape a lone
/// UTF-16 surrogate (<c>"\ud800"</c>); such a string has no UTF-8 form, so nothing downstream could read it. Frames that
/// hold one are refused as <see cref="ErrorCodes.InvalidJson"/>.
/// </summary>
internal static class JsonStrings
{
    /// <summary>What a refusal says.</summary>
    public const string LoneSurrogateMessage =
        "a string holds a lone UTF-16 surrogate escape (such as \\ud800): strings must be valid Unicode";

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    /// <summary>
    /// False when a string value or property name of <paramref name="utf8Json"/>, at any depth, escapes a lone surrogate;
    /// true otherwise, also for input that is not JSON at all (the caller's parser reports that). Only escaped strings are
    /// decoded: raw UTF-8 is validated by the reader.
    /// </summary>
    public static bool AreValidUnicode(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                    _ = reader.GetString();
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (JsonException)
        {
            // Not JSON (or deeper than we look): not ours to report.
        }
        return true;
    }
}
