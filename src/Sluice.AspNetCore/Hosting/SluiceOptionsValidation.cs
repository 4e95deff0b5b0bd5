using Microsoft.Extensions.Options;
using Sluice.Server.Auth;
using Sluice.Server.Cluster;
using Sluice.Server.Limits;
using Sluice.Server.Rooms;

namespace Sluice.Server.Hosting;

/// <summary>
/// The one way Sluice's settings are checked: an <see cref="IValidateOptions{TOptions}"/> for each options class of the
/// <c>Sluice</c> section, run by <c>ValidateOnStart</c> (so a bad setting stops the host before it touches the database)
/// and on every later read. Each failure names the setting and what is allowed, in the words of the rule that owns it:
/// data annotations for the plain ranges, <see cref="AuthOptionsValidator"/> (and the JWKS file itself), the rooms' own
/// rules (the Supabase protocol's settings are checked by its own validator, see ProtocolServices).
/// </summary>
internal sealed class SluiceOptionsValidation :
    IValidateOptions<SluiceOptions>,
    IValidateOptions<AuthOptions>,
    IValidateOptions<RoomOptions>,
    IValidateOptions<LimitsOptions>,
    IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, SluiceOptions options) => Annotations(options);

    public ValidateOptionsResult Validate(string? name, LimitsOptions options) => Annotations(options);

    public ValidateOptionsResult Validate(string? name, ClusterOptions options) => Annotations(options);

    public ValidateOptionsResult Validate(string? name, RoomOptions options) => Result(RoomOptionsValidator.Validate(options));

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = AuthOptionsValidator.Validate(options);
        if (failures.Count > 0)
            return ValidateOptionsResult.Fail(failures);
        try
        {
            // A JWKS file that cannot be read, or holds no usable key, is a bad setting too.
            SigningKeys.Create(options);
        }
        catch (OptionsValidationException ex)
        {
            return ValidateOptionsResult.Fail(ex.Failures);
        }
        return ValidateOptionsResult.Success;
    }

    private static ValidateOptionsResult Annotations<TOptions>(TOptions options) where TOptions : class =>
        new DataAnnotationValidateOptions<TOptions>(null).Validate(null, options);

    private static ValidateOptionsResult Result(IReadOnlyList<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
