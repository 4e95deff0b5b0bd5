using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Server.Capture;

/// <summary>One column of a captured table.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="Type">Its resolved type.</param>
/// <param name="IsKey">Part of the replica identity (every column when it is FULL), as pgoutput flags it.</param>
/// <param name="IsPrimaryKey">Part of the table's primary key: how a client finds the row again (see <see cref="TableSchema.KeyColumns"/>).</param>
internal sealed record TableColumn(string Name, ColumnType Type, bool IsKey, bool IsPrimaryKey = false)
{
    /// <summary>
    /// <see cref="Name"/> as a JSON property name, escaped once per relation as every row writer escapes (relaxed): the
    /// frames of each change and snapshot row write it without escaping and transcoding it again.
    /// </summary>
    public JsonEncodedText JsonName { get; } = JsonEncodedText.Encode(Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
}
