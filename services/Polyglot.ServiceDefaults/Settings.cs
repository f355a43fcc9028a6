using Polyglot.Contracts.Settings;

namespace Microsoft.Extensions.Configuration;

public static class Settings
{
    /// <summary>
    /// A setting that names one of <typeparamref name="TEnum"/>'s values (any case); unset, the
    /// first. Anything else stops the service at start-up, saying what it may be.
    /// </summary>
    public static TEnum Choice<TEnum>(this IConfiguration configuration, string key) where TEnum : struct, Enum
    {
        var value = configuration[key];
        return string.IsNullOrEmpty(value) ? default
            : EnumSetting.Parse<TEnum>(value) ?? throw new InvalidOperationException($"{key} must be {string.Join(" or ", Enum.GetNames<TEnum>())}, not '{value}'.");
    }
}
