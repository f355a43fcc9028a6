namespace Polyglot.LocalServers;

/// <summary>
/// A private RabbitMQ node run from Debian's <c>rabbitmq-server</c> package: its own data
/// directory, Erlang cookie, node name and ports, listening on loopback only, so it never
/// touches a system broker. Used by the app host when no container runtime is healthy, and by
/// the tests.
/// </summary>
public sealed record LocalRabbitMQ(string DataDirectory, int Port)
{
    /// <summary>The server script itself; /usr/sbin/rabbitmq-server would switch to the rabbitmq user.</summary>
    public const string ServerPath = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    public static bool IsInstalled => File.Exists(ServerPath);

    /// <summary>Erlang's distribution port; RabbitMQ's own default is the AMQP port + 20000.</summary>
    public int DistributionPort => Port + 20000;

    public string NodeName => $"polyglot{Port}@localhost";

    public string ConnectionString => $"amqp://guest:guest@localhost:{Port}";

    /// <summary>Writes the node's configuration files. Idempotent; the broker's data survives restarts.</summary>
    public void Prepare()
    {
        if (Port is < 1 or > 45_535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "The AMQP port must leave room for its distribution port (port + 20000).");
        }
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(Path.Combine(DataDirectory, "enabled_plugins"), "[].\n");
        File.WriteAllText(Path.Combine(DataDirectory, "rabbitmq.conf"), $"listeners.tcp.1 = 127.0.0.1:{Port}\n");
        File.WriteAllText(Path.Combine(DataDirectory, "rabbitmq-env.conf"), "");
    }

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["HOME"] = DataDirectory, // where Erlang keeps the node's cookie
        // With these two the script execs the Erlang VM instead of waiting on it from a shell,
        // so a SIGTERM reaches the broker itself, which then stops cleanly.
        ["RABBITMQ_ALLOW_INPUT"] = "true",
        ["RABBITMQ_SERVER_START_ARGS"] = "-noinput",
        ["RABBITMQ_NODENAME"] = NodeName,
        ["RABBITMQ_NODE_PORT"] = Port.ToString(),
        ["RABBITMQ_DIST_PORT"] = DistributionPort.ToString(),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(DataDirectory, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(DataDirectory, "log"),
        ["RABBITMQ_LOGS"] = "-", // to stdout, where the dashboard shows it
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(DataDirectory, "enabled_plugins"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(DataDirectory, "rabbitmq.conf"),
        ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(DataDirectory, "rabbitmq-env.conf"),
    };
}
