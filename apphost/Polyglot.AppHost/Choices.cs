using Polyglot.Contracts.Settings;

namespace Polyglot.AppHost;

public static class Choices
{
    /// <summary>
    /// The member of <typeparamref name="TEnum"/> a setting names (any case); unset,
    /// <paramref name="unset"/>. Anything else (a typo, a number) stops the app host at once,
    /// saying what the setting may be.
    /// </summary>
    public static TEnum Choice<TEnum>(this IConfiguration configuration, string key, TEnum unset) where TEnum : struct, Enum
    {
        var value = configuration[key];
        var path = configuration is IConfigurationSection section ? $"{section.Path}:{key}" : key;
        return string.IsNullOrEmpty(value) ? unset
            : EnumSetting.Parse<TEnum>(value) ?? throw new DistributedApplicationException($"{path} is '{value}': set it to {string.Join(" or ", Enum.GetNames<TEnum>())}.");
    }
}
