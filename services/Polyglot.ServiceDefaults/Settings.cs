using Polyglot.Contracts.Settings;

namespace Microsoft.Extensions.Configuration;

public static class Settings
{
    /// <summary>
    /// A setting that names one of <typeparamref name="TEnum"/>'s values (any case); unset, the
    /// first. Anything else stops the service at start-up, saying what it may be.
    /// </summary>
    public static TEnum Choice<TEnum>(this IConfiguration configuration, string key) where TEnum : struct, Enum =>
        EnumSetting.Read(key, configuration[key], default(TEnum));
}
