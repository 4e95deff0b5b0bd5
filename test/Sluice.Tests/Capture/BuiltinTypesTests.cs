using Sluice.Server.Capture;

namespace Sluice.Tests.Capture;

public class BuiltinTypesTests
{
    [Theory]
    [InlineData(21u, ValueKind.Integer, false)]
    [InlineData(23u, ValueKind.Integer, false)]
    [InlineData(20u, ValueKind.Integer, false)]
    [InlineData(26u, ValueKind.Integer, false)]
    [InlineData(700u, ValueKind.Float, false)]
    [InlineData(701u, ValueKind.Float, false)]
    [InlineData(1700u, ValueKind.Numeric, false)]
    [InlineData(16u, ValueKind.Boolean, false)]
    [InlineData(114u, ValueKind.Json, false)]
    [InlineData(3802u, ValueKind.Json, false)]
    [InlineData(1114u, ValueKind.Timestamp, false)]
    [InlineData(1184u, ValueKind.TimestampTz, false)]
    [InlineData(1082u, ValueKind.Date, false)]
    [InlineData(1083u, ValueKind.Time, false)]
    [InlineData(1266u, ValueKind.TimeTz, false)]
    [InlineData(2950u, ValueKind.Uuid, false)]
    [InlineData(25u, ValueKind.Text, false)]
    [InlineData(1043u, ValueKind.Text, false)]
    [InlineData(1042u, ValueKind.Text, false)]
    [InlineData(19u, ValueKind.Text, false)]
    [InlineData(1005u, ValueKind.Integer, true)]
    [InlineData(1007u, ValueKind.Integer, true)]
    [InlineData(1016u, ValueKind.Integer, true)]
    [InlineData(1028u, ValueKind.Integer, true)]
    [InlineData(1021u, ValueKind.Float, true)]
    [InlineData(1022u, ValueKind.Float, true)]
    [InlineData(1231u, ValueKind.Numeric, true)]
    [InlineData(1000u, ValueKind.Boolean, true)]
    [InlineData(199u, ValueKind.Json, true)]
    [InlineData(3807u, ValueKind.Json, true)]
    [InlineData(1115u, ValueKind.Timestamp, true)]
    [InlineData(1185u, ValueKind.TimestampTz, true)]
    [InlineData(1182u, ValueKind.Date, true)]
    [InlineData(1183u, ValueKind.Time, true)]
    [InlineData(1270u, ValueKind.TimeTz, true)]
    [InlineData(2951u, ValueKind.Uuid, true)]
    [InlineData(1009u, ValueKind.Text, true)]
    [InlineData(1015u, ValueKind.Text, true)]
    [InlineData(1014u, ValueKind.Text, true)]
    [InlineData(1003u, ValueKind.Text, true)]
    internal void Resolves_builtin_oids(uint oid, ValueKind kind, bool isArray)
    {
        Assert.True(BuiltinTypes.TryResolve(oid, out var type));
        Assert.Equal(new ColumnType(oid, kind, isArray, ','), type);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(142u)]
    [InlineData(16385u)]
    public void Unknown_oids_are_text(uint oid)
    {
        Assert.False(BuiltinTypes.TryResolve(oid, out var type));
        Assert.Equal(new ColumnType(oid, ValueKind.Text), type);
    }
}
