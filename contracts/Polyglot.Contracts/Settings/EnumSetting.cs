namespace Polyglot.Contracts.Settings;

/// <summary>
/// A setting that names one of an enum's members (a topology, a bus kind), read alike by the app
/// host, the services and the deploy command: by the member's name, in any case, and nothing
/// else. <c>Enum.TryParse</c> also takes a number ("1") and names joined by commas
/// ("Split,Monolith"), and quietly picks a member for them.
/// </summary>
public static class EnumSetting
{
    /// <summary>The member <paramref name="value"/> names, or null when it names none.</summary>
    public static TEnum? Parse<TEnum>(string? value) where TEnum : struct, Enum =>
        Enum.GetNames<TEnum>().FirstOrDefault(name => name.Equals(value, StringComparison.OrdinalIgnoreCase)) is { } name ? Enum.Parse<TEnum>(name) : null;

    /// <summary>
    /// The member the setting <paramref name="key"/> names; unset, <paramref name="unset"/>.
    /// Anything else stops whoever reads it at start-up, saying what the setting may be.
    /// </summary>
    public static TEnum Read<TEnum>(string key, string? value, TEnum unset) where TEnum : struct, Enum =>
        string.IsNullOrEmpty(value) ? unset
        : Parse<TEnum>(value) ?? throw new InvalidOperationException($"{key} is '{value}': set it to {string.Join(" or ", Enum.GetNames<TEnum>())}.");
}
