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
}
