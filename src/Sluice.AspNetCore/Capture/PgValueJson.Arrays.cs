using System.Buffers;
using System.Text.Json;

namespace Sluice.Server.Capture;

internal static partial class PgValueJson
{
    // PostgreSQL's MAXDIM: no array value has more dimensions.
    private const int MaxArrayDimensions = 6;

    /// <summary>
    /// Writes a PostgreSQL array literal (<c>{1,2,NULL}</c>, <c>{{"a b","c\"d"},{NULL,"NULL"}}</c>,
    /// <c>[0:1]={1,2}</c>) as a JSON array of converted elements. The literal is checked in a first pass
    /// that writes nothing, so a malformed literal becomes one JSON string instead of a half-written array.
    /// </summary>
    private static void WriteArray(Utf8JsonWriter writer, ValueKind kind, char delimiter, string text)
    {
        var scratch = ArrayPool<char>.Shared.Rent(Math.Max(text.Length, 1));
        try
        {
            var literal = new ArrayLiteral(text, delimiter, kind, scratch);
            if (literal.Read(writer: null))
                literal.Read(writer);
            else
                writer.WriteStringValue(text);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(scratch);
        }
    }

    /// <summary>A recursive-descent reader of one array literal, following PostgreSQL's array_in.</summary>
    private readonly ref struct ArrayLiteral(ReadOnlySpan<char> text, char delimiter, ValueKind kind, Span<char> scratch)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private readonly Span<char> _scratch = scratch;

        /// <summary>Reads the whole literal; writes JSON only when <paramref name="writer"/> is not null.</summary>
        public bool Read(Utf8JsonWriter? writer)
        {
            var pos = 0;
            SkipSpace(ref pos);
            if (!SkipDimensions(ref pos) || pos >= _text.Length || _text[pos] != '{')
                return false;
            if (!ReadArray(ref pos, writer, 1))
                return false;
            SkipSpace(ref pos);
            return pos == _text.Length;
        }

        private bool SkipDimensions(ref int pos)
        {
            if (pos >= _text.Length || _text[pos] != '[')
                return true;
            while (pos < _text.Length && _text[pos] == '[')
            {
                pos++;
                if (!SkipBound(ref pos))
                    return false;
                if (pos < _text.Length && _text[pos] == ':')
                {
                    pos++;
                    if (!SkipBound(ref pos))
                        return false;
                }

                if (!Expect(_text, ref pos, ']'))
                    return false;
            }

            SkipSpace(ref pos);
            if (!Expect(_text, ref pos, '='))
                return false;
            SkipSpace(ref pos);
            return true;
        }

        private bool SkipBound(ref int pos)
        {
            if (pos < _text.Length && (_text[pos] == '-' || _text[pos] == '+'))
                pos++;
            return ReadDigits(_text, ref pos) > 0;
        }

        /// <summary>Reads "{…}" starting at the brace; elements are all sub-arrays or all scalars.</summary>
        private bool ReadArray(ref int pos, Utf8JsonWriter? writer, int dimension)
        {
            if (dimension > MaxArrayDimensions)
                return false;
            pos++;
            writer?.WriteStartArray();
            SkipSpace(ref pos);
            if (pos < _text.Length && _text[pos] == '}')
            {
                pos++;
                writer?.WriteEndArray();
                return true;
            }

            var hasSubArrays = pos < _text.Length && _text[pos] == '{';
            while (true)
            {
                SkipSpace(ref pos);
                if (pos >= _text.Length || (_text[pos] == '{') != hasSubArrays)
                    return false;
                var elementRead = hasSubArrays ? ReadArray(ref pos, writer, dimension + 1) : ReadElement(ref pos, writer);
                if (!elementRead)
                    return false;
                SkipSpace(ref pos);
                if (pos >= _text.Length)
                    return false;
                var next = _text[pos++];
                if (next == '}')
                    break;
                if (next != delimiter)
                    return false;
            }

            writer?.WriteEndArray();
            return true;
        }

        /// <summary>
        /// Reads one scalar element: a double-quoted string, or unquoted text up to the delimiter or '}'
        /// with surrounding whitespace dropped. Backslash escapes the next character in both. Unquoted,
        /// unescaped NULL (any case) is SQL NULL.
        /// </summary>
        private bool ReadElement(ref int pos, Utf8JsonWriter? writer)
        {
            var length = 0;
            var quotedOrEscaped = false;
            if (_text[pos] == '"')
            {
                quotedOrEscaped = true;
                pos++;
                while (true)
                {
                    if (pos >= _text.Length)
                        return false;
                    var c = _text[pos++];
                    if (c == '"')
                        break;
                    if (c == '\\')
                    {
                        if (pos >= _text.Length)
                            return false;
                        c = _text[pos++];
                    }

                    _scratch[length++] = c;
                }
            }
            else
            {
                var keptLength = 0;
                while (pos < _text.Length)
                {
                    var c = _text[pos];
                    if (c == delimiter || c == '}')
                        break;
                    if (c == '{' || c == '"')
                        return false;
                    pos++;
                    if (c == '\\')
                    {
                        if (pos >= _text.Length)
                            return false;
                        quotedOrEscaped = true;
                        _scratch[length++] = _text[pos++];
                        keptLength = length;
                    }
                    else
                    {
                        _scratch[length++] = c;
                        if (!IsArraySpace(c))
                            keptLength = length;
                    }
                }

                length = keptLength;
                if (length == 0)
                    return false;
            }

            if (writer is null)
                return true;
            var value = _scratch[..length];
            if (!quotedOrEscaped && value.Equals("NULL", StringComparison.OrdinalIgnoreCase))
                writer.WriteNullValue();
            else
                WriteScalar(writer, kind, value);
            return true;
        }

        private void SkipSpace(ref int pos)
        {
            while (pos < _text.Length && IsArraySpace(_text[pos]))
                pos++;
        }
    }

    /// <summary>Whitespace as PostgreSQL's array parser sees it (scanner_isspace).</summary>
    private static bool IsArraySpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f';
}
