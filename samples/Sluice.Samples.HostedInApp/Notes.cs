using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Sluice.Samples.HostedInApp;

/// <summary>The app's own API: each signed-in user reads and writes their notes (the token's <c>sub</c> owns them).</summary>
public static class Notes
{
    public const string DataSourceKey = "notes";

    public static async Task<IResult> ListAsync(ClaimsPrincipal user, [FromKeyedServices(DataSourceKey)] NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT id, text FROM public.notes WHERE owner = $1 ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Owner(user) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var notes = new List<Note>();
        while (await reader.ReadAsync(cancellationToken))
            notes.Add(new Note(reader.GetInt64(0), reader.GetString(1)));
        return TypedResults.Ok(notes);
    }

    public static async Task<IResult> CreateAsync(NewNote note, ClaimsPrincipal user, [FromKeyedServices(DataSourceKey)] NpgsqlDataSource database,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(note.Text))
            return TypedResults.BadRequest(new { error = "text is required" });
        await using var command = database.CreateCommand("INSERT INTO public.notes (owner, text) VALUES ($1, $2) RETURNING id");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Owner(user) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = note.Text });
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return TypedResults.Created($"/api/notes/{id}", new Note(id, note.Text));
    }

    /// <summary>A one-hour token for <paramref name="user"/>, signed with the app's secret (development only: real apps get tokens from their identity provider).</summary>
    public static string DevelopmentToken(string user, string secret) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Claims = new Dictionary<string, object> { ["sub"] = user },
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
    });

    private static string Owner(ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("an authenticated user without a sub claim");
}

public sealed record Note(long Id, string Text);

public sealed record NewNote(string? Text);
