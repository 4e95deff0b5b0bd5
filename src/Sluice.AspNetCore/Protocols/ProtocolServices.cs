using Microsoft.Extensions.Options;
using Sluice.Server.Hosting;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Protocols.Supabase;

namespace Sluice.Server.Protocols;

/// <summary>Registers what the wire protocols need, so hosting names no protocol.</summary>
internal static class ProtocolServices
{
    /// <summary>
    /// Binds the <c>Sluice:Supabase</c> settings (checked when the host starts, failing with a message naming the setting)
    /// and registers the native protocol's change format (with <see cref="SluiceOptions.MaxRecordBytes"/>) and the retention of
    /// <c>realtime.messages</c> (<c>Sluice:Supabase:MessageRetention</c>) for the core's partition keeper.
    /// </summary>
    public static IServiceCollection AddSluiceProtocols(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SupabaseOptions>().BindConfiguration(SupabaseOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SupabaseOptions>, SupabaseOptionsValidation>();
        services.AddSingleton(static provider =>
            new Database.RealtimeMessagesRetention(provider.GetRequiredService<IOptions<SupabaseOptions>>().Value.MessageRetention));
        services.AddSingleton(static provider =>
            new NativeChangeFormat(provider.GetRequiredService<IOptions<SluiceOptions>>().Value.MaxRecordBytes,
                provider.GetRequiredService<Observability.SluiceMetrics>()));
        return services;
    }

    /// <summary>The Supabase protocol's own rules for its settings, run by <c>ValidateOnStart</c> and on every later read.</summary>
    private sealed class SupabaseOptionsValidation : IValidateOptions<SupabaseOptions>
    {
        public ValidateOptionsResult Validate(string? name, SupabaseOptions options)
        {
            var failures = options.Validate();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
