using System.CommandLine;

namespace Sluice.Server.Cli;

/// <summary>Options every client command shares: which server, and the admin token.</summary>
internal sealed class ClientOptions
{
    public Option<Uri> Server { get; } = new("--server", "-s")
    {
        Description = "URL of the running Sluice server [env: SLUICE_URL]",
        DefaultValueFactory = static _ => new Uri(Environment.GetEnvironmentVariable("SLUICE_URL") is { Length: > 0 } url ? url : "http://localhost:8080"),
        CustomParser = static result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                return uri;
            result.AddError($"--server must be an http:// or https:// URL, not \"{text}\"");
            return null;
        },
    };

    public Option<string?> AdminToken { get; } = new("--admin-token")
    {
        Description = "Admin token the server was started with [env: SLUICE_ADMIN_TOKEN]",
        DefaultValueFactory = static _ => Environment.GetEnvironmentVariable("SLUICE_ADMIN_TOKEN"),
    };

    public void AddTo(Command command)
    {
        command.Add(Server);
        command.Add(AdminToken);
    }

    public ServerApi Api(ParseResult result) => new(result.GetValue(Server)!, result.GetValue(AdminToken));
}
