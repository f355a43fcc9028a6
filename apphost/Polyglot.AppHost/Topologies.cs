using Microsoft.Extensions.Configuration;
using Polyglot.Contracts.Settings;

namespace Polyglot.AppHost;

public static class Topologies
{
    public const string Key = "Polyglot:Topology";
    public const string ReplicasKey = "Polyglot:Realtime:Replicas";

    /// <summary>
    /// Polyglot:Topology, checked against the settings that only make sense in the other one; a
    /// contradiction stops the app host at once with one message saying what to set.
    /// </summary>
    public static Topology Topology(this IDistributedApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var value = configuration[Key];
        if (string.IsNullOrEmpty(value))
        {
            return Contracts.Settings.Topology.Split;
        }
        if (!Enum.TryParse<Topology>(value, ignoreCase: true, out var topology) || !Enum.IsDefined(topology))
        {
            throw new DistributedApplicationException(
                $"{Key} is '{value}': set it to {nameof(Contracts.Settings.Topology.Split)} (crud, RabbitMQ and realtime) or {nameof(Contracts.Settings.Topology.Monolith)} (crud alone, streaming itself).");
        }
        if (topology == Contracts.Settings.Topology.Monolith)
        {
            if (configuration.GetValue(ReplicasKey, 1) != 1)
            {
                throw new DistributedApplicationException(
                    $"{Key}=Monolith runs no realtime, so {ReplicasKey}={configuration[ReplicasKey]} cannot apply: remove {ReplicasKey}, or set {Key}=Split.");
            }
            if (configuration.GetConnectionString("bus") is not null)
            {
                throw new DistributedApplicationException(
                    $"{Key}=Monolith uses no bus, so ConnectionStrings:bus cannot apply: remove ConnectionStrings:bus, or set {Key}=Split.");
            }
        }
        return topology;
    }
}
