using System.Diagnostics;
using Polyglot.AppHost.Provisioning;

namespace Polyglot.Testing;

/// <summary>
/// The real servers the tests use: a private RabbitMQ node and a private PostgreSQL cluster,
/// started from the OS packages exactly as the app host's executable mode does (same
/// <see cref="LocalRabbitMQ"/> and <see cref="LocalPostgres"/>), once per test process, in a
/// temporary directory. They stop when the test process exits, however it exits: the test
/// runner kills its test host without running exit handlers, so each server runs under a small
/// shell that holds the other end of a pipe and stops the server when the pipe closes. (The
/// parent-death signal would be neater; this sandbox's kernel ignores it.) Not installed means
/// the test fails loudly: .ci/run installs both.
/// </summary>
public sealed class LocalServer
{
    private static readonly Lazy<Task<LocalServer>> SharedRabbitMQ = new(StartRabbitMQAsync);
    private static readonly Lazy<Task<LocalServer>> SharedPostgres = new(StartPostgresAsync);

    private readonly Process _process;

    private LocalServer(Process process, string connectionString, string dataDirectory)
    {
        _process = process;
        ConnectionString = connectionString;
        DataDirectory = dataDirectory;
    }

    public string ConnectionString { get; }

    public string DataDirectory { get; }

    public static Task<LocalServer> RabbitMQAsync() => SharedRabbitMQ.Value;

    public static Task<LocalServer> PostgresAsync() => SharedPostgres.Value;

    /// <summary>A connection string for a fresh database of its own (crud creates it on start-up).</summary>
    public static async Task<string> NewPostgresDatabaseAsync()
    {
        var server = await PostgresAsync();
        return server.ConnectionString.Replace($"Database={LocalPostgres.Database}", $"Database=test_{Guid.NewGuid():N}");
    }

    private static async Task<LocalServer> StartRabbitMQAsync()
    {
        if (!LocalRabbitMQ.IsInstalled)
        {
            throw new InvalidOperationException($"RabbitMQ is not installed ({LocalRabbitMQ.ServerPath}); run: apt-get install -y rabbitmq-server");
        }
        var node = new LocalRabbitMQ(TemporaryDirectory("rabbitmq"), Ports.Free());
        node.Prepare();
        var server = Start(LocalRabbitMQ.ServerPath, [], node.Environment, node.ConnectionString, node.DataDirectory);
        await server.WaitUntilReadyAsync(async () =>
        {
            var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(node.ConnectionString) };
            await using var connection = await factory.CreateConnectionAsync();
        });
        return server;
    }

    private static async Task<LocalServer> StartPostgresAsync()
    {
        if (!LocalPostgres.IsInstalled)
        {
            throw new InvalidOperationException("PostgreSQL is not installed; run: apt-get install -y postgresql");
        }
        var cluster = new LocalPostgres(TemporaryDirectory("postgres"), Ports.Free());
        cluster.Prepare();
        var (command, args) = cluster.ServerCommand;
        var server = Start(command, args, new Dictionary<string, string>(), cluster.ConnectionString, cluster.DataDirectory);
        await server.WaitUntilReadyAsync(async () =>
        {
            await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString.Replace($"Database={LocalPostgres.Database}", "Database=postgres"));
            await connection.OpenAsync();
        });
        return server;
    }

    private static string TemporaryDirectory(string name)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"polyglot-tests-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static LocalServer Start(string command, string[] args, IReadOnlyDictionary<string, string> environment, string connectionString, string dataDirectory)
    {
        const string StopWhenStdinCloses = "\"$@\" & server=$!; cat > /dev/null; kill -TERM $server; wait $server";
        var startInfo = new ProcessStartInfo("sh", ["-c", StopWhenStdinCloses, "sh", command, .. args])
        {
            WorkingDirectory = dataDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (variable, value) in environment)
        {
            startInfo.Environment[variable] = value;
        }
        var process = Process.Start(startInfo)!;
        // Drain the pipes so a chatty server never blocks on a full buffer.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new LocalServer(process, connectionString, dataDirectory);
    }

    private async Task WaitUntilReadyAsync(Func<Task> connect)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode} before it was ready.");
            }
            try
            {
                await connect();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
