using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Sluice.Client;

public sealed partial class SluiceClientBuilder
{
    private static readonly string[] ConfigurationKeys =
    [
        nameof(SluiceClientOptions.Url), nameof(SluiceClientOptions.AccessToken), nameof(SluiceClientOptions.HeartbeatInterval),
        nameof(SluiceClientOptions.HeartbeatTimeout), nameof(SluiceClientOptions.ConnectTimeout), nameof(SluiceClientOptions.ChannelBufferCapacity),
        nameof(SluiceClientOptions.FallbackAfter), nameof(SluiceClientOptions.FallbackPollInterval), nameof(SluiceClientOptions.HttpBaseAddress),
        nameof(SluiceClientOptions.StartInBackground),
    ];

    /// <summary>
    /// Reads settings from configuration, e.g. the <c>"Sluice"</c> section of <c>appsettings.json</c>:
    /// <c>Url</c>, <c>AccessToken</c>, <c>HeartbeatInterval</c>, <c>HeartbeatTimeout</c>, <c>ConnectTimeout</c>,
    /// <c>ChannelBufferCapacity</c>, <c>FallbackAfter</c> (empty turns the fallback off), <c>FallbackPollInterval</c>,
    /// <c>HttpBaseAddress</c> and <c>StartInBackground</c>; times as <c>hh:mm:ss</c>. Keys that are absent keep their
    /// value; settings made in code after this call win. No reflection: trimming- and AOT-friendly.
    /// </summary>
    /// <param name="configuration">The section holding the keys.</param>
    /// <exception cref="ArgumentException">An unknown key (a typo would otherwise be ignored) or a value that does not parse; the message names the key.</exception>
    public SluiceClientBuilder WithConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var child in configuration.GetChildren())
        {
            if (!ConfigurationKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException(
                    $"unknown Sluice client setting '{Path(child)}'; the known ones are {string.Join(", ", ConfigurationKeys)}", nameof(configuration));
        }
        if (Read(configuration, nameof(SluiceClientOptions.Url)) is { } url)
            _options.Url = Parse(configuration, nameof(SluiceClientOptions.Url), url, static v => new Uri(v, UriKind.Absolute));
        if (configuration[nameof(SluiceClientOptions.AccessToken)] is { } token)
            _options.AccessToken = token;
        if (Read(configuration, nameof(SluiceClientOptions.HeartbeatInterval)) is { } interval)
            _options.HeartbeatInterval = Time(configuration, nameof(SluiceClientOptions.HeartbeatInterval), interval);
        if (Read(configuration, nameof(SluiceClientOptions.HeartbeatTimeout)) is { } timeout)
            _options.HeartbeatTimeout = Time(configuration, nameof(SluiceClientOptions.HeartbeatTimeout), timeout);
        if (Read(configuration, nameof(SluiceClientOptions.ConnectTimeout)) is { } connect)
            _options.ConnectTimeout = Time(configuration, nameof(SluiceClientOptions.ConnectTimeout), connect);
        if (Read(configuration, nameof(SluiceClientOptions.ChannelBufferCapacity)) is { } capacity)
            _options.ChannelBufferCapacity = Parse(configuration, nameof(SluiceClientOptions.ChannelBufferCapacity), capacity, static v => int.Parse(v, CultureInfo.InvariantCulture));
        if (configuration[nameof(SluiceClientOptions.FallbackAfter)] is { } after)
            _options.FallbackAfter = after.Length == 0 ? null : Time(configuration, nameof(SluiceClientOptions.FallbackAfter), after);
        if (Read(configuration, nameof(SluiceClientOptions.FallbackPollInterval)) is { } poll)
            _options.FallbackPollInterval = Time(configuration, nameof(SluiceClientOptions.FallbackPollInterval), poll);
        if (Read(configuration, nameof(SluiceClientOptions.HttpBaseAddress)) is { } http)
            _options.HttpBaseAddress = Parse(configuration, nameof(SluiceClientOptions.HttpBaseAddress), http, static v => new Uri(v, UriKind.Absolute));
        if (Read(configuration, nameof(SluiceClientOptions.StartInBackground)) is { } background)
            _options.StartInBackground = Parse(configuration, nameof(SluiceClientOptions.StartInBackground), background, bool.Parse);
        return this;
    }

    private static string? Read(IConfiguration configuration, string key) => configuration[key] is { Length: > 0 } value ? value : null;

    private static TimeSpan Time(IConfiguration configuration, string key, string value) =>
        Parse(configuration, key, value, static v => TimeSpan.Parse(v, CultureInfo.InvariantCulture));

    private static T Parse<T>(IConfiguration configuration, string key, string value, Func<string, T> parse)
    {
        try
        {
            return parse(value);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or UriFormatException)
        {
            var path = configuration is IConfigurationSection section ? $"{section.Path}:{key}" : key;
            throw new ArgumentException($"the Sluice client setting '{path}' has an invalid value '{value}': {ex.Message}", key, ex);
        }
    }

    private static string Path(IConfigurationSection section) => section.Path;
}
