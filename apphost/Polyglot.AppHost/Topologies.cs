using Polyglot.Contracts.Settings;

namespace Polyglot.AppHost;

public static class Topologies
{
    public const string Key = "Polyglot:Topology";
    public const string ReplicasKey = "Polyglot:Realtime:Replicas";
    public const string BusKindKey = "Polyglot:Bus:Kind";

    /// <summary>
    /// Polyglot:Topology, checked against the settings that only make sense in the other one; a
    /// contradiction stops the app host at once with one message saying what to set.
    /// </summary>
    public static Topology Topology(this IDistributedApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var topology = EnumSetting.Read(Key, configuration[Key], Contracts.Settings.Topology.Split);
        if (topology == Contracts.Settings.Topology.Monolith)
        {
            if (configuration.GetValue(ReplicasKey, 1) != 1)
            {
                throw new DistributedApplicationException(
                    $"{Key}=Monolith runs no realtime, so {ReplicasKey}={configuration[ReplicasKey]} cannot apply: remove {ReplicasKey}, or set {Key}=Split.");
            }
            if (configuration.GetConnectionString(AppModelNames.Bus) is not null)
            {
                throw new DistributedApplicationException(
                    $"{Key}=Monolith uses no bus, so ConnectionStrings:{AppModelNames.Bus} cannot apply: remove ConnectionStrings:{AppModelNames.Bus}, or set {Key}=Split.");
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
        var kind = EnumSetting.Read(BusKindKey, builder.Configuration[BusKindKey], Contracts.Settings.BusKind.MassTransit);
        if (kind == Contracts.Settings.BusKind.Dapr && topology == Contracts.Settings.Topology.Monolith)
        {
            throw new DistributedApplicationException($"{Key}=Monolith uses no bus, so {BusKindKey}=Dapr cannot apply: remove {BusKindKey}, or set {Key}=Split.");
        }
        if (kind == Contracts.Settings.BusKind.Dapr && !builder.ExecutionContext.IsPublishMode)
        {
            throw new DistributedApplicationException(
                $"{BusKindKey}=Dapr needs a Dapr sidecar (daprd) beside crud and realtime, which the app host does not run: " +
                "generate deploy files with `--dapr` (docs/deploy.md), or run the services under the Dapr CLI (docs/dapr.md). Without it, the split runs on RabbitMQ.");
        }
        return kind;
    }
}
