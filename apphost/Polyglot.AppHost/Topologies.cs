using Polyglot.Contracts.Settings;

namespace Polyglot.AppHost;

public static class Topologies
{
    /// <summary>
    /// Polyglot:Topology, checked against the settings that only make sense in the other one; a
    /// contradiction stops the app host at once with one message saying what to set.
    /// </summary>
    public static Topology Topology(this IDistributedApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var topology = EnumSetting.Read(AppHostSettings.Topology, configuration[AppHostSettings.Topology], Contracts.Settings.Topology.Split);
        if (topology == Contracts.Settings.Topology.Monolith)
        {
            if (configuration.GetValue(AppHostSettings.RealtimeReplicas, 1) != 1)
            {
                throw new DistributedApplicationException(
                    $"{AppHostSettings.Topology}=Monolith runs no realtime, so {AppHostSettings.RealtimeReplicas}={configuration[AppHostSettings.RealtimeReplicas]} cannot apply: remove {AppHostSettings.RealtimeReplicas}, or set {AppHostSettings.Topology}=Split.");
            }
            if (configuration.GetConnectionString(AppModelNames.Bus) is not null)
            {
                throw new DistributedApplicationException(
                    $"{AppHostSettings.Topology}=Monolith uses no bus, so ConnectionStrings:{AppModelNames.Bus} cannot apply: remove ConnectionStrings:{AppModelNames.Bus}, or set {AppHostSettings.Topology}=Split.");
            }
        }
        return topology;
    }

    /// <summary>
    /// Polyglot:Bus:Kind: MassTransit (on RabbitMQ), or Dapr pub/sub — which needs a daprd sidecar
    /// beside crud and realtime. The app host runs none (nor do the machines it is tested on), so
    /// Dapr is for the published app model, from which the deploy generator writes the sidecars;
    /// asked to run with it, the app host stops at once saying where Dapr runs.
    /// </summary>
    public static BusKind BusKind(this IDistributedApplicationBuilder builder, Topology topology)
    {
        var kind = EnumSetting.Read(AppHostSettings.BusKind, builder.Configuration[AppHostSettings.BusKind], Contracts.Settings.BusKind.MassTransit);
        if (kind == Contracts.Settings.BusKind.Dapr && topology == Contracts.Settings.Topology.Monolith)
        {
            throw new DistributedApplicationException($"{AppHostSettings.Topology}=Monolith uses no bus, so {AppHostSettings.BusKind}=Dapr cannot apply: remove {AppHostSettings.BusKind}, or set {AppHostSettings.Topology}=Split.");
        }
        if (kind == Contracts.Settings.BusKind.Dapr && !builder.ExecutionContext.IsPublishMode)
        {
            throw new DistributedApplicationException(
                $"{AppHostSettings.BusKind}=Dapr needs a Dapr sidecar (daprd) beside crud and realtime, which the app host does not run: " +
                "generate deploy files with `--dapr` (docs/deploy.md), or run the services under the Dapr CLI (docs/dapr.md). Without it, the split runs on RabbitMQ.");
        }
        return kind;
    }
}
