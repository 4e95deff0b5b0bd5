using System.Text;
using System.Text.Json;
using CsCheck;
using Sluice.Server.Capture;

namespace Sluice.Tests.Capture;

public class PgValueJsonProperties
{
    private static readonly ValueKind[] Kinds = Enum.GetValues<ValueKind>();

    /// <summary>Text that is often almost a PostgreSQL value: built from the characters those are made of.</summary>
    private static readonly Gen<string> NearlyValidText = Gen.OneOf(
        Gen.String,
        Gen.Char["{}[]:=,\"\\ NUL0123456789.-+eEtfTZaINfy"].Array[0, 40].Select(chars => new string(chars)),
        Gen.OneOf("{", "[1:2]={1,2}", "2024-01-02 03:04:05+05:30", "03:04:05+02", "{{1},{2}}", "NaN", "t", "\"\\"));

    [Fact]
    public void Never_throws_and_always_writes_one_valid_json_value()
    {
        Gen.Select(NearlyValidText, Gen.Int[0, Kinds.Length - 1], Gen.Bool).Sample((text, kindIndex, isArray) =>
        {
            var type = new ColumnType(0, Kinds[kindIndex], isArray);
            var json = JsonOf.Value(type, text, default);
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            return true;
        }, iter: 20_000);
    }

    [Fact]
    public void Array_literal_round_trips_nested_lists_of_strings_and_nulls()
    {
        // A tree is a string leaf, a null leaf, or a list of trees of one shape: all lists or all leaves.
        var leaf = Gen.OneOf(Gen.String[0, 8], Gen.Char["a\"\\{}, NUL\t"].Array[0, 6].Select(c => new string(c)), Gen.Const("NULL"), Gen.Const(""))
            .Select(s => (object?)s);
        var scalarList = Gen.Frequency((1, Gen.Const(0).Select(_ => (object?)null)), (5, leaf)).List[0, 5].Select(l => (object?)l);
        var nested = scalarList.List[1, 4].Select(l => (object?)l);
        var doubleNested = nested.List[1, 3].Select(l => (object?)l);
        Gen.OneOf(scalarList, nested, doubleNested).Sample(tree =>
        {
            var literal = RenderLiteral(tree);
            var expected = JsonSerializer.Serialize(tree);
            var actual = Normalize(JsonOf.Value(JsonOf.ArrayOf(ValueKind.Text), literal, default));
            Assert.Equal(Normalize(expected), actual);
        }, iter: 5_000);
    }

    private static string Normalize(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);

    private static string RenderLiteral(object? tree)
    {
        var builder = new StringBuilder();
        Render(builder, tree);
        return builder.ToString();
    }

    private static void Render(StringBuilder builder, object? node)
    {
        switch (node)
        {
            case null:
                builder.Append("NULL");
                break;
            case string text:
                builder.Append('"');
                foreach (var c in text)
                {
                    if (c is '"' or '\\')
                        builder.Append('\\');
                    builder.Append(c);
                }

                builder.Append('"');
                break;
            case List<object?> list:
                builder.Append('{');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                        builder.Append(',');
                    Render(builder, list[i]);
                }

                builder.Append('}');
                break;
        }
    }
}
