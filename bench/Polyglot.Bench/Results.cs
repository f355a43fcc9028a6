using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Polyglot.Bench;

/// <summary>Every command's <c>--out</c>: where its results go.</summary>
public class ResultSettings : CommandSettings
{
    [CommandOption("--out <DIR>"), Description("Where results go: JSON and Markdown (and SVG charts, for cost).")]
    public string Out { get; init; } = "bench/results";
}

/// <summary>
/// One run's outcome: the scenario, its parameters and figures (stable names: scripts read
/// them), the machine, and the exact command. Written as JSON and as a Markdown table, and shown.
/// </summary>
public sealed record Result(
    string Scenario,
    DateTimeOffset StartedAt,
    string Command,
    Machine Machine,
    IReadOnlyDictionary<string, object> Parameters,
    IReadOnlyDictionary<string, double> Figures)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public async Task SaveAndShowAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"{Scenario}-{StartedAt:yyyyMMdd-HHmmss}");
        await File.WriteAllTextAsync(stem + ".json", JsonSerializer.Serialize(this, Json));
        await File.WriteAllTextAsync(stem + ".md", ToMarkdown());

        var table = new Table().Title($"[bold]{Scenario}[/]").AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in Parameters)
        {
            table.AddRow($"[grey]{name}[/]", $"[grey]{value}[/]");
        }
        foreach (var (name, value) in Figures)
        {
            table.AddRow(name, Format(value));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]{Machine}[/]");
        AnsiConsole.MarkupLineInterpolated($"[grey]Saved {stem}.json and .md[/]");
    }

    private string ToMarkdown()
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"### {Scenario} — {StartedAt:yyyy-MM-dd HH:mm} UTC")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"`{Command}`")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine}")
            .AppendLine()
            .AppendLine("| | |")
            .AppendLine("|---|---:|");
        foreach (var (name, value) in Parameters)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
        }
        foreach (var (name, value) in Figures)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| **{name}** | {Format(value)} |");
        }
        return text.ToString();
    }

    private static string Format(double value) =>
        value.ToString(Math.Abs(value) >= 100 ? "N0" : "0.###", CultureInfo.InvariantCulture);
}
