namespace Polyglot.Deploy;

/// <summary>How to tell a backing server's container is up, for the images the app model uses; others get a TCP check.</summary>
public static class KnownImages
{
    public static string[]? ReadinessCommand(Resource container) => Image(container) switch
    {
        "rabbitmq" => ["rabbitmq-diagnostics", "-q", "check_port_connectivity"],
        "postgres" => PostgresReady,
        _ => null,
    };

    public static string[]? LivenessCommand(Resource container) => Image(container) switch
    {
        "rabbitmq" => ["rabbitmq-diagnostics", "-q", "status"],
        "postgres" => PostgresReady,
        _ => null,
    };

    /// <summary>What a server's volume claims: PostgreSQL's write-ahead log alone may grow to its default max_wal_size, 1 GB, beside the data.</summary>
    public static string VolumeSize(Resource container) => Image(container) switch
    {
        "postgres" => "10Gi",
        _ => "1Gi",
    };

    /// <summary>
    /// Over TCP: while the image initialises its database, a server answers on the Unix socket
    /// only, and a check there would pass before the database is made.
    /// </summary>
    private static readonly string[] PostgresReady = ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"];

    private static string? Image(Resource container) => container.Image?.Split('/')[^1].Split(':')[0];
}
