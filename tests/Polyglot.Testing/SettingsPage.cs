using System.Reflection;
using Polyglot.LocalServers;

namespace Polyglot.Testing;

/// <summary>docs/settings.md, the page the README promises lists every setting.</summary>
public static class SettingsPage
{
    private static readonly Lazy<string> Text = new(() => File.ReadAllText(Path.Combine(Repository.Root, "docs", "settings.md")));

    /// <summary>The settings an options type binds (<c>Section:Property</c>) that the page does not name.</summary>
    public static IEnumerable<string> Undocumented(Type options, string section) =>
        options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(property => property.CanWrite)
            .Select(property => $"{section}:{property.Name}")
            .Where(setting => !Names(setting));

    /// <summary>Whether the page names <paramref name="setting"/>, in backticks.</summary>
    public static bool Names(string setting) => Text.Value.Contains($"`{setting}`", StringComparison.Ordinal);
}
