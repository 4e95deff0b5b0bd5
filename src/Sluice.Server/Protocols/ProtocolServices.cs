using Microsoft.Extensions.Options;
using Sluice.Server.Hosting;
using Sluice.Server.Protocols.Native;
using Sluice.Server.Protocols.Supabase;

namespace Sluice.Server.Protocols;

/// <summary>Registers what the wire protocols need, so hosting names no protocol.</summary>
public static class ProtocolServices
{
    /// <summary>
    /// Validates the <c>Sluice:Supabase</c> settings (failing start-up with clear messages) and registers them, and the
    /// native protocol's change format (with <see cref="SluiceOptions.MaxRecordBytes"/>).
    /// </summary>
    public static WebApplicationBuilder AddSluiceProtocols(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(SupabaseOptions.SectionName);
        var failures = (section.Get<SupabaseOptions>() ?? new SupabaseOptions()).Validate();
        if (failures.Count > 0)
            throw new OptionsValidationException(SupabaseOptions.SectionName, typeof(SupabaseOptions), failures);
        builder.Services.AddOptions<SupabaseOptions>().Bind(section);
        builder.Services.AddSingleton(static services =>
            new NativeChangeFormat(services.GetRequiredService<IOptions<SluiceOptions>>().Value.MaxRecordBytes));
        return builder;
    }
}
