using k8s.Models;
using Polyglot.Deploy;

namespace Polyglot.Bench.Cost;

/// <summary>
/// What a topology asks of whoever operates it: on this machine (deployables, processes,
/// listening ports, stateful servers) and in a cluster (the Kubernetes objects the deploy
/// generator writes for it, and their CPU and memory requests and limits, replicas included).
/// </summary>
public sealed record Operated(
    int Deployables, int Processes, int ListeningPorts, int StatefulServers,
    int KubernetesObjects, double CpuRequestCores, double MemoryRequestMiB, double CpuLimitCores, double MemoryLimitMiB)
{
    public static Operated Measure(TopologyUnderTest system)
    {
        var processes = system.Processes().ToList();
        var cluster = Cluster(system.Topology);
        return new Operated(
            system.Services.Count(),
            processes.Count,
            ProcFs.ListeningPorts(processes.Select(p => p.ProcessId)).Count,
            // SQLite is a file in crud, not a server; RabbitMQ is one (its queues survive restarts).
            system.Broker is null ? 0 : 1,
            cluster.Objects, cluster.CpuRequest, cluster.MemoryRequest, cluster.CpuLimit, cluster.MemoryLimit);
    }

    /// <summary>The deploy generator's Kubernetes output for the topology (published with PostgreSQL, as for a cluster).</summary>
    private static (int Objects, double CpuRequest, double MemoryRequest, double CpuLimit, double MemoryLimit) Cluster(Topology topology)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"polyglot-cost-deploy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var manifest = Path.Combine(folder, "aspire-manifest.json");
            AspireManifest.Publish(manifest, external: false, topology);
            var model = AppModel.Load(manifest);
            var options = new DeployOptions("", DeployOptions.DefaultTag, RealtimeReplicas: 2, new Dictionary<string, string>()).CompleteParameters(model);
            var objects = KubernetesManifests.Build(model, options).Values.SelectMany(o => o).ToList();
            var pods = objects.OfType<V1Deployment>().Select(d => (Replicas: d.Spec.Replicas ?? 1, d.Spec.Template.Spec))
                .Concat(objects.OfType<V1StatefulSet>().Select(s => (Replicas: s.Spec.Replicas ?? 1, s.Spec.Template.Spec)))
                .SelectMany(p => p.Spec.Containers.Select(c => (p.Replicas, c.Resources)))
                .ToList();
            double Sum(Func<V1ResourceRequirements, IDictionary<string, ResourceQuantity>> side, string resource, double unit) =>
                pods.Sum(p => p.Replicas * (double)side(p.Resources)[resource].ToDecimal() / unit);
            return (objects.Count,
                Sum(r => r.Requests, "cpu", 1), Sum(r => r.Requests, "memory", 1 << 20),
                Sum(r => r.Limits, "cpu", 1), Sum(r => r.Limits, "memory", 1 << 20));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
