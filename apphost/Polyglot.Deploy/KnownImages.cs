namespace Polyglot.Deploy;

/// <summary>How to tell a backing server's container is up, for the images the app model uses; others get a TCP check.</summary>
public static class KnownImages
{
    public static string[]? ReadinessCommand(Resource container) => Image(container) switch
    {
        "rabbitmq" => ["rabbitmq-diagnostics", "-q", "check_port_connectivity"],
        "postgres" => ["pg_isready", "-U", "postgres"],
        _ => null,
    };

    public static string[]? LivenessCommand(Resource container) => Image(container) switch
    {
        "rabbitmq" => ["rabbitmq-diagnostics", "-q", "status"],
        "postgres" => ["pg_isready", "-U", "postgres"],
        _ => null,
    };

    private static string? Image(Resource container) => container.Image?.Split('/')[^1].Split(':')[0];
}
