using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace Polyglot.Deploy;

/// <summary>
/// Kubernetes objects for the app model: a Deployment (or, with volumes, a StatefulSet) and a
/// Service per workload, a ConfigMap for its plain settings and a Secret for everything a
/// password or connection string went into. Built from KubernetesClient's typed models.
/// </summary>
public static class KubernetesManifests
{
    private const string NameLabel = "app.kubernetes.io/name";
    internal const string PartOfLabel = "app.kubernetes.io/part-of";

    /// <summary>What <see cref="PartOfLabel"/> says of every object generated.</summary>
    internal const string PartOf = "polyglot";

    /// <summary>The file of every Secret.</summary>
    public const string SecretsFileName = "secrets.yaml";

    /// <summary>The pod template's annotation that changes with its settings (<see cref="Digest"/>).</summary>
    private const string SettingsDigestAnnotation = "polyglot/settings-sha256";

    /// <returns>File name → its objects, in the order kustomize should apply them.</returns>
    public static SortedDictionary<string, List<IKubernetesObject>> Build(AppModel model, DeployOptions options)
    {
        var values = new Values(model, options.Parameters, (_, value, _) => value);
        var files = new SortedDictionary<string, List<IKubernetesObject>>(StringComparer.Ordinal);
        var secrets = new List<IKubernetesObject>();
        var daprSecrets = DaprSidecars.Enabled(model) ? DaprSidecars.KubernetesSecrets(model, values).ToList() : [];
        foreach (var resource in model.Workloads.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var settings = model.SettingsOf(resource).ToDictionary(e => e.Key, e => values.Resolve(e.Value));
            var objects = new List<IKubernetesObject>();
            var plain = settings.Where(s => !s.Value.Secret).ToDictionary(s => s.Key, s => s.Value.Value);
            var secret = settings.Where(s => s.Value.Secret).ToDictionary(s => s.Key, s => s.Value.Value);
            if (plain.Count > 0)
            {
                objects.Add(new V1ConfigMap { ApiVersion = "v1", Kind = "ConfigMap", Metadata = Metadata($"{resource.Name}-config", resource), Data = Sorted(plain) });
            }
            if (secret.Count > 0)
            {
                secrets.Add(new V1Secret { ApiVersion = "v1", Kind = "Secret", Metadata = Metadata($"{resource.Name}-secrets", resource), Type = "Opaque", StringData = Sorted(secret) });
            }

            var read = DaprSidecars.HasSidecar(model, resource) ? plain.Concat(secret).Concat(daprSecrets.SelectMany(s => s.StringData)) : plain.Concat(secret);
            var pod = PodTemplate(model, resource, options, plain.Count > 0, secret.Count > 0, resource.IsProject ? Digest(read) : null);
            objects.Add(resource.Volumes.Count > 0 ? StatefulSet(resource, pod) : Deployment(resource, pod, model.ReplicasOf(resource, options)));
            if (resource.ServedBindings.Any())
            {
                objects.Add(Service(resource));
            }
            if (model.ReplicasOf(resource, options) > 1)
            {
                objects.Add(new V1PodDisruptionBudget
                {
                    ApiVersion = "policy/v1",
                    Kind = "PodDisruptionBudget",
                    Metadata = Metadata(resource.Name, resource),
                    Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = Selector(resource) },
                });
            }
            files[$"{resource.Name}.yaml"] = objects;
        }
        if (DaprSidecars.Enabled(model))
        {
            files["dapr.yaml"] = DaprSidecars.KubernetesObjects();
            secrets.AddRange(daprSecrets);
        }
        files[SecretsFileName] = secrets;
        return files;
    }

    private static V1PodTemplateSpec PodTemplate(AppModel model, Resource resource, DeployOptions options, bool hasConfig, bool hasSecrets, string? settingsDigest)
    {
        var sizing = Sizing.For(model, resource);
        var container = new V1Container
        {
            Name = resource.Name,
            Image = resource.IsProject ? options.ImageOf(resource) : resource.Image,
            Ports = [.. resource.ServedBindings.Select(b => new V1ContainerPort { Name = b.Name, ContainerPort = b.TargetPort, Protocol = "TCP" })],
            EnvFrom = [
                .. hasConfig ? [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = $"{resource.Name}-config" } }] : Array.Empty<V1EnvFromSource>(),
                .. hasSecrets ? [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = $"{resource.Name}-secrets" } }] : Array.Empty<V1EnvFromSource>(),
            ],
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(sizing.CpuRequest), ["memory"] = new(sizing.MemoryRequest) },
                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(sizing.CpuLimit), ["memory"] = new(sizing.MemoryLimit) },
            },
            VolumeMounts = resource.Volumes.Count == 0 ? null : [.. resource.Volumes.Select((v, i) => new V1VolumeMount { Name = VolumeName(i), MountPath = v.Target })],
        };
        if (resource.IsProject)
        {
            // The services' own endpoints: /health is ready (the database reachable; realtime's hub
            // open; a broker outage only Degraded), /alive is the process. crud migrates its database before it listens: up to
            // 5 minutes to start before the liveness probe may restart it.
            container.StartupProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = AppModelNames.AlivePath, Port = "http" }, PeriodSeconds = 5, FailureThreshold = 60 };
            container.ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = AppModelNames.HealthPath, Port = "http" }, PeriodSeconds = 10, TimeoutSeconds = 5 };
            container.LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = AppModelNames.AlivePath, Port = "http" }, PeriodSeconds = 20, FailureThreshold = 3 };
            // Kubernetes' own sleep: the images have no shell to run one.
            container.Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Sleep = new V1SleepAction { Seconds = Sizing.PreStopSleepSeconds(resource)!.Value } } };
        }
        else
        {
            var firstPort = resource.ServedBindings.First().Name;
            container.ReadinessProbe = ExecOrTcp(KnownImages.ReadinessCommand(resource), firstPort, periodSeconds: 10);
            container.LivenessProbe = ExecOrTcp(KnownImages.LivenessCommand(resource), firstPort, periodSeconds: 30);
            container.LivenessProbe.InitialDelaySeconds = 30;
        }
        var annotations = DaprSidecars.HasSidecar(model, resource) ? DaprSidecars.PodAnnotations(resource) : [];
        if (settingsDigest is not null)
        {
            annotations[SettingsDigestAnnotation] = settingsDigest;
        }
        return new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = Labels(resource), Annotations = annotations.Count == 0 ? null : annotations },
            Spec = new V1PodSpec { Containers = [container], TerminationGracePeriodSeconds = Sizing.StopGraceSeconds(resource) + Sizing.PreStopSleepSeconds(resource) },
        };
    }

    /// <summary>
    /// A digest of all a service's pod reads at start (its ConfigMap, its Secrets, its sidecar's): a
    /// pod takes its environment only when it starts, so a changed setting or secret must change the
    /// pod template for <c>kubectl apply</c> to roll the pods, as kustomize's generators do with a
    /// suffix. One digest over every value, crud's signing key or realtime's client secret among
    /// them, so it tells nothing of any one. Not for the servers: they take their password only
    /// when they make their data, and rolling them would not change it.
    /// </summary>
    private static string Digest(IEnumerable<KeyValuePair<string, string>> read) => Convert.ToHexStringLower(SHA256.HashData(
        Encoding.UTF8.GetBytes(string.Concat(read.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}\n")))));

    private static V1Probe ExecOrTcp(string[]? command, string port, int periodSeconds) => command is null
        ? new V1Probe { TcpSocket = new V1TCPSocketAction { Port = port }, PeriodSeconds = periodSeconds }
        : new V1Probe { Exec = new V1ExecAction { Command = command }, PeriodSeconds = periodSeconds, TimeoutSeconds = 10 };

    private static V1Deployment Deployment(Resource resource, V1PodTemplateSpec pod, int replicas) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Metadata(resource.Name, resource),
        Spec = new V1DeploymentSpec { Replicas = replicas, Selector = Selector(resource), Template = pod },
    };

    private static V1StatefulSet StatefulSet(Resource resource, V1PodTemplateSpec pod) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = Metadata(resource.Name, resource),
        Spec = new V1StatefulSetSpec
        {
            ServiceName = resource.Name,
            Replicas = 1,
            Selector = Selector(resource),
            Template = pod,
            VolumeClaimTemplates = [.. resource.Volumes.Select((_, i) => new V1PersistentVolumeClaim
            {
                Metadata = new V1ObjectMeta { Name = VolumeName(i) },
                Spec = new V1PersistentVolumeClaimSpec
                {
                    AccessModes = ["ReadWriteOnce"],
                    Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(KnownImages.VolumeSize(resource)) } },
                },
            })],
        },
    };

    private static V1Service Service(Resource resource) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(resource.Name, resource),
        Spec = new V1ServiceSpec
        {
            Selector = Labels(resource).Where(l => l.Key == NameLabel).ToDictionary(),
            Ports = [.. resource.ServedBindings.Select(b => new V1ServicePort
            {
                Name = b.Name,
                Port = b.TargetPort,
                TargetPort = b.Name,
                Protocol = "TCP",
                // gRPC here is HTTP/2 without TLS: h2c tells meshes and gateways so.
                AppProtocol = b.Transport switch { "http2" => "kubernetes.io/h2c", "http" => "http", _ => null },
            })],
        },
    };

    private static string VolumeName(int index) => index == 0 ? "data" : $"data-{index}";

    private static V1ObjectMeta Metadata(string name, Resource resource) => new() { Name = name, Labels = Labels(resource) };

    private static V1LabelSelector Selector(Resource resource) => new() { MatchLabels = new Dictionary<string, string> { [NameLabel] = resource.Name } };

    private static Dictionary<string, string> Labels(Resource resource) => new() { [NameLabel] = resource.Name, [PartOfLabel] = PartOf };

    private static Dictionary<string, string> Sorted(Dictionary<string, string> values) =>
        values.OrderBy(v => v.Key, StringComparer.Ordinal).ToDictionary();
}
