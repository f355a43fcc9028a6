using System.Diagnostics;
using Polyglot.Contracts.Settings;

namespace Polyglot.LocalServers;

/// <summary>
/// A private PostgreSQL cluster run from the OS packages: its own data directory and port,
/// loopback TCP only, no Unix socket, trust authentication (reachable only from this machine).
/// As root it runs as the <c>postgres</c> user, because initdb and postgres refuse root; util-linux's
/// setpriv (on every Debian/Ubuntu) switches user without leaving a process in between, so a
/// SIGTERM reaches the server itself.
/// </summary>
public sealed record LocalPostgres(string DataDirectory, int Port)
{
    public const string Database = "polyglot";

    private static readonly bool IsRoot = System.Environment.UserName == "root";

    /// <summary>The directory holding initdb and postgres, or null when PostgreSQL is not installed.</summary>
    public static string? BinDirectory { get; } = FindBinDirectory();

    public static bool IsInstalled => BinDirectory is not null;

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={Database}";

    /// <summary>The command that runs the server in the foreground.</summary>
    public (string Command, string[] Args) ServerCommand => AsServiceUser(
        Path.Combine(BinDirectory!, "postgres"),
        "-D", DataDirectory, "-p", Port.ToString(), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=");

    /// <summary>Creates the cluster on first use (about a second); later starts reuse it.</summary>
    public void Prepare()
    {
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }
        Directory.CreateDirectory(DataDirectory);
        if (IsRoot)
        {
            Run("chown", "postgres:postgres", DataDirectory);
            // The server runs as postgres, which must pass through every folder above its data.
            var (test, testArgs) = AsServiceUser("test", "-w", DataDirectory);
            if (ProgramRun.RunAsync(new ProcessStartInfo(test, testArgs)).GetAwaiter().GetResult().Code != 0)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL runs as the user postgres, which cannot reach {DataDirectory}: a folder above it is closed to other users " +
                    $"(a home folder, mode 700?). Let others through it (chmod o+x), or keep the data elsewhere with --{AppHostSettings.DataDirectory}=<folder>.");
            }
        }
        var (command, args) = AsServiceUser(
            Path.Combine(BinDirectory!, "initdb"), "-D", DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync");
        Run(command, args);
    }

    private static (string, string[]) AsServiceUser(string command, params string[] args) =>
        IsRoot ? ("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", command, .. args]) : (command, args);

    private static void Run(string command, params string[] args)
    {
        var exit = ProgramRun.RunAsync(new ProcessStartInfo(command, args)).GetAwaiter().GetResult();
        if (exit.Code != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed ({exit.Code}): {exit.Errors}{exit.Output}");
        }
    }

    private static string? FindBinDirectory()
    {
        // Debian keeps the server out of PATH, under /usr/lib/postgresql/<major>/bin.
        var debian = (Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [])
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "postgres")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0);
        var onPath = (System.Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Where(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")));
        return debian.Concat(onPath).FirstOrDefault();
    }
}
