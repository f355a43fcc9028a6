using System.Diagnostics;
using Polyglot.LocalServers;

namespace Polyglot.Deploy;

/// <summary>Runs the app host's own manifest publisher: the app model, as aspire-manifest.json.</summary>
public static class AspireManifest
{
    /// <summary>
    /// Publishes the app model for deployment: PostgreSQL (SQLite suits one machine), and the bus
    /// and database as containers, or with <paramref name="external"/> as servers that exist
    /// already, whose connection strings become parameters.
    /// </summary>
    /// <param name="topology">Split: crud, the bus and realtime; Monolith: crud alone.</param>
    /// <param name="busKind">In the split, how events travel: RabbitMQ, or Dapr sidecars in front of it.</param>
    /// <param name="build">False to run the app host as last built (tests, which build it first).</param>
    public static void Publish(string path, bool external, Topology topology = Topology.Split, BusKind busKind = BusKind.MassTransit, bool build = true)
    {
        string[] arguments =
        [
            "run", "--project", Path.Combine(Repository.Root, "apphost", "Polyglot.AppHost"),
            .. build ? Array.Empty<string>() : ["--no-build"],
            "--",
            "--publisher", "manifest", "--output-path", path,
            $"--{AppHostSettings.DatabaseProvider}={DatabaseProvider.Postgres}",
            $"--{AppHostSettings.Topology}={topology}",
            .. busKind == BusKind.Dapr ? [$"--{AppHostSettings.BusKind}={busKind}"] : Array.Empty<string>(),
            .. external ? [$"--{AppHostSettings.Bus}:{AppHostSettings.Mode}=External", $"--{AppHostSettings.Database}:{AppHostSettings.Mode}=External"] : Array.Empty<string>(),
        ];
        var publish = ProgramRun.RunAsync(new ProcessStartInfo("dotnet", arguments)).GetAwaiter().GetResult();
        if (publish.Code != 0)
        {
            throw new InvalidOperationException($"Publishing the Aspire manifest failed ({publish.Code}):\n{publish.Output}{publish.Errors}");
        }
    }
}
