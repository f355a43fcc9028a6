namespace Polyglot.Deploy;

public sealed class ComposeService
{
    public required string Image { get; init; }

    public List<string>? Command { get; init; }

    /// <summary><c>service:NAME</c> for a sidecar that shares its app's network.</summary>
    public string? NetworkMode { get; init; }

    public SortedDictionary<string, string>? Environment { get; init; }

    public List<string>? Ports { get; init; }

    public List<string>? Volumes { get; init; }

    public SortedDictionary<string, ComposeDependency>? DependsOn { get; init; }

    /// <summary>None for images without a shell to run one (daprd's).</summary>
    public ComposeHealthcheck? Healthcheck { get; init; }

    public string Restart { get; init; } = "unless-stopped";
}
