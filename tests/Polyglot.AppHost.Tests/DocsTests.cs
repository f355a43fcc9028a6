using System.Text.RegularExpressions;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The docs point at code: each guarantee names the test that proves it, and directions name
/// types and settings. Every such name in backticks is still in the code, so a rename cannot leave
/// a guarantee proved by a test that no longer exists.
/// </summary>
public sealed partial class DocsTests
{
    // The pages a reader follows; bench/results/ are records of past runs and keep their names.
    private static readonly string[] Pages = ["README.md", "bench/README.md", "contracts/README.md", "docs"];

    private static readonly string[] CodeExtensions = [".cs", ".proto", ".mjs", ".sh", ".csproj", ".props"];

    [Fact]
    public void EveryCodeNameTheDocsCiteInBackticksIsInTheCode()
    {
        var code = CodeFiles().SelectMany(file => Word().Matches(File.ReadAllText(file)).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        var cited = DocFiles().SelectMany(file => File.ReadLines(file).SelectMany((line, i) =>
            from span in Backticked().Matches(line)
            from name in CodeName().Matches(span.Groups[1].Value)
            select (Where: $"{Path.GetRelativePath(Repository.Root, file)}:{i + 1}", Name: name.Groups["name"].Value, Elided: name.Groups["elided"].Success))).ToList();

        // `…OutboxTests` stands for each class whose name ends so (SqliteOutboxTests, PostgresOutboxTests).
        var missing = cited.Where(c => !code.Contains(c.Name) && !(c.Elided && code.Any(word => word.EndsWith(c.Name, StringComparison.Ordinal))))
            .Select(c => $"{c.Where} {c.Name}").ToList();

        Assert.True(cited.Count > 300, $"Only {cited.Count} names were read from the docs: the pattern no longer finds them.");
        Assert.Empty(missing);
    }

    private static IEnumerable<string> DocFiles() =>
        Pages.Select(page => Path.Combine(Repository.Root, page)).SelectMany(path =>
            Directory.Exists(path) ? Directory.EnumerateFiles(path, "*.md", SearchOption.AllDirectories) : [path]);

    private static IEnumerable<string> CodeFiles() =>
        Directory.EnumerateFiles(Repository.Root, "*", SearchOption.AllDirectories)
            .Where(file => CodeExtensions.Contains(Path.GetExtension(file)))
            .Where(file => !Path.GetRelativePath(Repository.Root, file).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules" or ".git"));

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    /// <summary>A PascalCase name of two capitals or more (a type, a test, a member), not part of a path or a longer word.</summary>
    [GeneratedRegex(@"(?<![\w/-])(?<elided>…)?(?<name>(?=(?:[a-z0-9]*[A-Z]){2})[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)(?![\w-])")]
    private static partial Regex CodeName();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Word();
}
