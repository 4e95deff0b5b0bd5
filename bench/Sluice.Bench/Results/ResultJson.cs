using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sluice.Bench.Results;

/// <summary>Writes a scenario's result as indented snake_case JSON (NaN allowed as a string).</summary>
public static class ResultJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task<string> WriteAsync(ScenarioResult result, string path)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, result, Options);
        return path;
    }
}
