using System.Text.RegularExpressions;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The docs point at code: each guarantee names the test that proves it, and directions name
/// types and settings. Every such name in backticks is still in the code (outside comments), and a
/// test cited as <c>Class.Method</c> is still in that class's file, so a rename cannot leave a
/// guarantee proved by a test that no longer exists.
/// </summary>
public sealed partial class DocsTests
{
    // The pages a reader follows; bench/results/ are records of past runs and keep their names.
    private static readonly string[] Pages = ["README.md", "bench/README.md", "contracts/README.md", "docs"];

    private static readonly string[] CodeExtensions = [".cs", ".proto", ".mjs", ".sh", ".csproj", ".props"];

    private static readonly string[] NotCode = ["bin", "obj", "node_modules", ".git"];

    [Fact]
    public void EveryCodeNameTheDocsCiteInBackticksIsInTheCode()
    {
        var code = CodeFiles(Repository.Root).Select(file => Comment().Replace(File.ReadAllText(file), "")).ToList();
        var words = code.SelectMany(text => Word().Matches(text).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        var cited = DocFiles().SelectMany(file => File.ReadLines(file).SelectMany((line, i) =>
            from span in Backticked().Matches(line)
            from name in CodeName().Matches(span.Groups[1].Value)
            select new Citation($"{Path.GetRelativePath(Repository.Root, file)}:{i + 1}", name))).ToList();

        var classes = code.SelectMany(text => ClassDeclaration().Matches(text).Select(m => (Class: m.Groups["name"].Value, Base: m.Groups["base"].Value, Text: text))).ToList();

        var missing = cited.Where(c => !words.Contains(c.Name) && !(c.Elided && words.Any(word => word.EndsWith(c.Name, StringComparison.Ordinal))))
            .Select(c => $"{c.Where} {c.Name}")
            .Concat(cited.Where(c => c.Class is not null && !FilesOf(c).Any(text => Regex.IsMatch(text, $@"\b{c.Name}\s*\(")))
                .Select(c => $"{c.Where} {c.Class}.{c.Name}: no such method in that class's file"))
            .ToList();

        // `…OutboxTests.X` stands for each class whose name ends so (SqliteOutboxTests, PostgresOutboxTests).
        IEnumerable<string> FilesOf(Citation c) => classes
            .Where(d => c.Elided ? d.Class.EndsWith(c.Class!, StringComparison.Ordinal) : d.Class == c.Class)
            .SelectMany(d => WithBases(d.Class));

        // A test class's methods may be its base class's, in another file (MonolithProcessTests : StreamingProcessTests).
        IEnumerable<string> WithBases(string name) => classes.Where(d => d.Class == name)
            .SelectMany(d => d.Base.Length == 0 || d.Base == name ? [d.Text] : WithBases(d.Base).Prepend(d.Text));

        Assert.True(cited.Count > 250, $"Only {cited.Count} names were read from the docs: the pattern no longer finds them.");
        Assert.True(cited.Count(c => c.Class is not null) > 50, $"Only {cited.Count(c => c.Class is not null)} Class.Method citations were read: the pattern no longer finds them.");
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    /// <summary>A name in backticks; after a test class and a dot (<c>RestTests.BadRequests…</c>), a method of it.</summary>
    private sealed record Citation(string Where, string Name, bool Elided, string? Class)
    {
        public Citation(string where, Match match)
            : this(where, match.Groups["name"].Value, match.Groups["elided"].Success, match.Groups["class"].Success ? match.Groups["class"].Value : null)
        {
        }
    }

    private static IEnumerable<string> DocFiles() =>
        Pages.Select(page => Path.Combine(Repository.Root, page)).SelectMany(path =>
            Directory.Exists(path) ? Directory.EnumerateFiles(path, "*.md", SearchOption.AllDirectories) : [path]);

    private static IEnumerable<string> CodeFiles(string directory) =>
        Directory.EnumerateFiles(directory).Where(file => CodeExtensions.Contains(Path.GetExtension(file)))
            .Concat(Directory.EnumerateDirectories(directory).Where(sub => !NotCode.Contains(Path.GetFileName(sub))).SelectMany(CodeFiles));

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    /// <summary>
    /// A PascalCase name of two capitals or more (a type, a test, a member) that starts no path
    /// segment or longer word; with the test class before it when it follows <c>SomethingTests.</c>.
    /// </summary>
    [GeneratedRegex(@"(?<![\w/-])(?<elided>…)?(?:(?<class>[A-Z]\w*Tests)\.)?(?<name>(?=(?:[a-z0-9]*[A-Z]){2})[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)(?![\w-])")]
    private static partial Regex CodeName();

    /// <summary>// and /* */ comments (and XML docs), not a URL's //: a name only a comment mentions is gone from the code.</summary>
    [GeneratedRegex(@"(?<!:)//[^\n]*|/\*[\s\S]*?\*/")]
    private static partial Regex Comment();

    /// <summary>A class and the first type it derives from, past a primary constructor's parameters.</summary>
    [GeneratedRegex(@"\bclass\s+(?<name>\w+)[^:{;]*(?::\s*(?<base>\w+))?")]
    private static partial Regex ClassDeclaration();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Word();
}
