namespace Polyglot.Deploy;

public sealed class ComposeService
{
    public required string Image { get; init; }

    public SortedDictionary<string, string>? Environment { get; init; }

    public List<string>? Ports { get; init; }

    public List<string>? Volumes { get; init; }

    public SortedDictionary<string, ComposeDependency>? DependsOn { get; init; }

    public required ComposeHealthcheck Healthcheck { get; init; }

    public string Restart { get; init; } = "unless-stopped";
}
