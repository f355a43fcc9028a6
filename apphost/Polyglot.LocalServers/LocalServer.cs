using System.Diagnostics;

namespace Polyglot.LocalServers;

/// <summary>
/// The real servers the tests and the benchmark use: private RabbitMQ nodes and a private PostgreSQL cluster,
/// started from the OS packages exactly as the app host's executable mode does (same
/// <see cref="LocalRabbitMQ"/> and <see cref="LocalPostgres"/>), in temporary directories. The
/// shared ones live as long as the test process; a test that stops and restarts its broker
/// starts one of its own. They stop when the test process exits, however it exits: the test
/// runner kills its test host without running exit handlers, so each server runs under a small
/// shell that holds the other end of a pipe and stops the server when the pipe closes. (The
/// parent-death signal would be neater, but not every sandboxed kernel delivers it.) The shell
/// then removes the server's directory, unless told to keep it for a restart. Not installed means
/// the test fails loudly: .ci/run installs both.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private static readonly Lazy<Task<LocalServer>> SharedRabbitMQ = new(StartRabbitMQAsync);
    private static readonly Lazy<Task<LocalServer>> SharedPostgres = new(StartPostgresAsync);

    private const string KeepData = "keep";

    private readonly ProcessStartInfo _startInfo;
    private readonly Func<Task> _connect;
    private Process? _process;

    private LocalServer(ProcessStartInfo startInfo, Func<Task> connect, string connectionString)
    {
        _startInfo = startInfo;
        _connect = connect;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>Where the server keeps its data: kept through a stop or kill, removed once the server is done with.</summary>
    public string DataDirectory => _startInfo.WorkingDirectory;

    /// <summary>The id of the small shell the server runs under (the server is its child); null when stopped.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The RabbitMQ node the test process shares.</summary>
    public static Task<LocalServer> RabbitMQAsync() => SharedRabbitMQ.Value;

    public static Task<LocalServer> PostgresAsync() => SharedPostgres.Value;

    /// <summary>A connection string for a fresh database of its own (crud creates it on start-up).</summary>
    public static async Task<string> NewPostgresDatabaseAsync()
    {
        var server = await PostgresAsync();
        return server.ConnectionString.Replace($"Database={LocalPostgres.Database}", $"Database=test_{Guid.NewGuid():N}");
    }

    /// <summary>A RabbitMQ node of the caller's own, to stop and start again; dispose it when done.</summary>
    public static async Task<LocalServer> StartRabbitMQAsync()
    {
        if (!LocalRabbitMQ.IsInstalled)
        {
            throw new InvalidOperationException($"RabbitMQ is not installed ({LocalRabbitMQ.ServerPath}); run: apt-get install -y rabbitmq-server");
        }
        var node = new LocalRabbitMQ(TemporaryDirectory("rabbitmq"), Ports.Free());
        node.Prepare();
        var server = new LocalServer(StartInfo(LocalRabbitMQ.ServerPath, [], node.Environment, node.DataDirectory), async () =>
        {
            var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(node.ConnectionString) };
            await using var connection = await factory.CreateConnectionAsync();
        }, node.ConnectionString);
        await server.StartAsync();
        return server;
    }

    /// <summary>A PostgreSQL cluster of the caller's own, to kill and start again; dispose it when done.</summary>
    public static async Task<LocalServer> StartPostgresAsync()
    {
        if (!LocalPostgres.IsInstalled)
        {
            throw new InvalidOperationException("PostgreSQL is not installed; run: apt-get install -y postgresql");
        }
        var cluster = new LocalPostgres(TemporaryDirectory("postgres"), Ports.Free());
        cluster.Prepare();
        var (command, args) = cluster.ServerCommand;
        var server = new LocalServer(StartInfo(command, args, new Dictionary<string, string>(), cluster.DataDirectory), async () =>
        {
            // Unpooled: a pooled connection could answer for a server since killed, and would hold up a smart shutdown (SIGTERM).
            await using var connection = new Npgsql.NpgsqlConnection(cluster.ConnectionString.Replace($"Database={LocalPostgres.Database}", "Database=postgres") + ";Pooling=false");
            await connection.OpenAsync();
        }, cluster.ConnectionString);
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts the server (again, with the same data and port) and returns once it answers.</summary>
    public async Task StartAsync()
    {
        var process = _process = Process.Start(_startInfo)!;
        // Drain the pipes so a chatty server never blocks on a full buffer.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{_startInfo.ArgumentList[3]} exited with {process.ExitCode} before it was ready.");
            }
            try
            {
                await _connect();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Stops the server the way an operator would (SIGTERM) and waits until it has; <see cref="StartAsync"/> starts it again on the same data.</summary>
    public Task StopAsync() => StopAsync(keepData: true);

    private async Task StopAsync(bool keepData)
    {
        if (_process is { HasExited: false } process)
        {
            if (keepData)
            {
                await process.StandardInput.WriteLineAsync(KeepData);
            }
            process.StandardInput.Close(); // the wrapper then sends SIGTERM and waits for the server
            await process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// SIGKILL, as a crash or the OOM killer would: the server and every process it started, with
    /// no chance to shut down cleanly. <see cref="StartAsync"/> starts it again on the same data.
    /// </summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            foreach (var pid in ProcFs.Descendants(process.Id).Where(pid => pid != process.Id && ProcFs.CommandName(pid) != "cat"))
            {
                using var kill = Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
                await kill.WaitForExitAsync();
            }
            await process.StandardInput.WriteLineAsync(KeepData);
            process.StandardInput.Close(); // the wrapper finds nothing left to stop, and exits
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Stops the server and removes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await StopAsync(keepData: false);
        }
        else if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true); // stopped or killed before: no wrapper left to do it
        }
    }

    private static string TemporaryDirectory(string name)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"polyglot-tests-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static ProcessStartInfo StartInfo(string command, string[] args, IReadOnlyDictionary<string, string> environment, string dataDirectory)
    {
        // Stops the server when stdin closes; then removes the data unless told to keep it.
        const string StopWhenStdinCloses = $"\"$@\" & server=$!; said=$(cat); kill -TERM $server; wait $server; [ \"$said\" = {KeepData} ] || rm -rf \"$PWD\"";
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
        return startInfo;
    }
}
