namespace Polyglot.Deploy;

public sealed class ComposeService
{
    public required string Image { get; init; }

    public List<string>? Command { get; init; }

    /// <summary>
    /// Fixed for a server that keeps data: RabbitMQ files it under its node name, rabbit@HOST, and
    /// Compose's default host name is the container's id, so a recreated container would start an
    /// empty node beside the old one's queues.
    /// </summary>
    public string? Hostname { get; init; }

    public SortedDictionary<string, string>? Environment { get; init; }

    public List<string>? Ports { get; init; }

    public List<string>? Volumes { get; init; }

    public SortedDictionary<string, ComposeDependency>? DependsOn { get; init; }

    /// <summary>None for images without a shell to run one (daprd's).</summary>
    public ComposeHealthcheck? Healthcheck { get; init; }

    public string Restart { get; init; } = "unless-stopped";

    /// <summary>As Kubernetes' grace period (<see cref="Sizing.StopGraceSeconds"/>): Compose's default is 10 s.</summary>
    public string? StopGracePeriod { get; init; }
}
