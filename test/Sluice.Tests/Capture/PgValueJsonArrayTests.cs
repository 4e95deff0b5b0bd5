using Sluice.Server.Capture;

namespace Sluice.Tests.Capture;

public class PgValueJsonArrayTests
{
    [Theory]
    [InlineData(ValueKind.Integer, "{1,2,NULL}", "[1,2,null]")]
    [InlineData(ValueKind.Integer, "{}", "[]")]
    [InlineData(ValueKind.Integer, "{{1,2},{3,4}}", "[[1,2],[3,4]]")]
    [InlineData(ValueKind.Integer, "[0:1]={1,2}", "[1,2]")]
    [InlineData(ValueKind.Integer, "[1:2][-1:0]={{1,2},{3,4}}", "[[1,2],[3,4]]")]
    [InlineData(ValueKind.Integer, "{1,x}", "[1,\"x\"]")]
    [InlineData(ValueKind.Text, "{\"a b\",\"c\\\"d\",NULL,\"NULL\"}", "[\"a b\",\"c\\\"d\",null,\"NULL\"]")]
    [InlineData(ValueKind.Text, "{null,Null,\\NULL}", "[null,null,\"NULL\"]")]
    [InlineData(ValueKind.Text, "{\"\",\" padded \"}", "[\"\",\" padded \"]")]
    [InlineData(ValueKind.Text, "{ a b , c }", "[\"a b\",\"c\"]")]
    [InlineData(ValueKind.Text, "{a\\,b,c\\\\d}", "[\"a,b\",\"c\\\\d\"]")]
    [InlineData(ValueKind.Text, "{\"{\",\"}\",\",\"}", "[\"{\",\"}\",\",\"]")]
    [InlineData(ValueKind.Float, "{1.5,NaN,-Infinity}", "[1.5,\"NaN\",\"-Infinity\"]")]
    [InlineData(ValueKind.Numeric, "{12.50,NaN}", "[12.50,\"NaN\"]")]
    [InlineData(ValueKind.Boolean, "{t,f,NULL}", "[true,false,null]")]
    [InlineData(ValueKind.Json, "{\"{\\\"a\\\": 1}\",\"[1,2]\",NULL,\"null\"}", "[{\"a\": 1},[1,2],null,null]")]
    [InlineData(ValueKind.TimestampTz, "{\"2024-01-02 03:04:05+00\",infinity}", "[\"2024-01-02T03:04:05+00:00\",\"infinity\"]")]
    [InlineData(ValueKind.Uuid, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]")]
    internal void Writes_array_literals_as_json_arrays(ValueKind kind, string text, string expected)
    {
        Assert.Equal(expected, JsonOf.Value(JsonOf.ArrayOf(kind), text));
    }

    [Fact]
    public void Uses_the_types_delimiter()
    {
        Assert.Equal("[\"(1,2),(0,0)\",\"(3,3),(2,2)\"]", JsonOf.Value(JsonOf.ArrayOf(ValueKind.Text, ';'), "{(1,2),(0,0);(3,3),(2,2)}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("{1,2")]
    [InlineData("{1,,2}")]
    [InlineData("{,}")]
    [InlineData("{1,{2}}")]
    [InlineData("{{1},2}")]
    [InlineData("{\"a}")]
    [InlineData("{\"a\"b}")]
    [InlineData("{a\"b\"}")]
    [InlineData("{1}x")]
    [InlineData("{1}{2}")]
    [InlineData("{a\\}")]
    [InlineData("[0:1]{1,2}")]
    [InlineData("[x]={1}")]
    [InlineData("1,2")]
    [InlineData("{{{{{{{1}}}}}}}")]
    public void Writes_a_malformed_literal_as_one_string(string text)
    {
        var expected = System.Text.Json.JsonSerializer.Serialize(text, new System.Text.Json.JsonSerializerOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        Assert.Equal(expected, JsonOf.Value(JsonOf.ArrayOf(ValueKind.Integer), text));
    }

    [Fact]
    public void Accepts_six_dimensions()
    {
        Assert.Equal("[[[[[[1]]]]]]", JsonOf.Value(JsonOf.ArrayOf(ValueKind.Integer), "{{{{{{1}}}}}}"));
    }
}
