using k8s.Models;
using Polyglot.Contracts.Events;

namespace Polyglot.Deploy;

/// <summary>
/// The split on Dapr (<c>--dapr</c>): a daprd sidecar beside crud and realtime, and Dapr's
/// RabbitMQ pub/sub component as the bus — durable, persistent, publisher confirms, one message
/// at a time (so order holds), and a consumer id per pod (so every realtime replica gets every
/// event). Written to Dapr's published formats; no daprd ran to check them (see docs/dapr.md).
/// </summary>
public static class DaprSidecars
{
    /// <summary>The Dapr runtime the services' Dapr SDK (1.19) is made for.</summary>
    public const string Image = "daprio/daprd:1.19.0";

    public const string ComponentsDirectory = "dapr";

    /// <summary>The Kubernetes Secret, and in Compose the environment variable, holding the broker's connection string.</summary>
    private const string ConnectionSecret = "dapr-pubsub";
    private const string ConnectionVariable = "BUS_CONNECTION_STRING";

    /// <summary>The Kubernetes Secret holding realtime's app API token, under the key Dapr reads (<c>token</c>).</summary>
    private const string AppTokenSecret = "dapr-app-token";

    /// <summary>The Kubernetes Secret holding the sidecars' API token, under the key Dapr reads (<c>token</c>).</summary>
    private const string ApiTokenSecret = "dapr-api-token";

    /// <summary>The connection string's key in <see cref="ConnectionSecret"/>.</summary>
    private const string ConnectionSecretKey = "connectionString";

    /// <summary>The secret store Component that reads the sidecar's environment.</summary>
    private const string EnvironmentSecretStore = "env";

    /// <summary>daprd's default gRPC port, where the Dapr client looks without DAPR_GRPC_ENDPOINT.</summary>
    private const int GrpcPort = 50001;

    public static bool Enabled(AppModel model) => model.BusKind == BusKind.Dapr;

    /// <summary>The workloads that get a sidecar: the services, which publish and subscribe through it.</summary>
    public static bool HasSidecar(AppModel model, Resource resource) => Enabled(model) && resource.IsProject;

    /// <summary>
    /// What Dapr's sidecar injector reads from a pod: the app id, the token the sidecar requires of
    /// calls to its API (else whatever reaches its port could publish events), and for realtime
    /// where to deliver events and the token to deliver them with (realtime refuses deliveries
    /// without it). The injector gives the app no token: crud's comes with its own settings.
    /// </summary>
    public static Dictionary<string, string> PodAnnotations(Resource resource)
    {
        var annotations = new Dictionary<string, string>
        {
            ["dapr.io/enabled"] = "true",
            ["dapr.io/app-id"] = resource.Name,
            ["dapr.io/api-token-secret"] = ApiTokenSecret,
            // The sidecar gets SIGTERM at once, the app after its preStop sleep: held as long, it
            // still takes crud's publishes while the pod serves on.
            ["dapr.io/block-shutdown-duration"] = $"{Sizing.PreStopSleepSeconds(resource)}s",
        };
        if (resource.Name == AppModelNames.Realtime)
        {
            annotations["dapr.io/app-port"] = resource.Bindings["http"].TargetPort.ToString();
            annotations["dapr.io/app-protocol"] = "http";
            annotations["dapr.io/app-token-secret"] = AppTokenSecret;
        }
        return annotations;
    }

    /// <summary>The pub/sub Component (its connection string from a Secret) and the Subscription.</summary>
    public static List<IKubernetesObject> KubernetesObjects() =>
    [
        PubSub(new Dictionary<string, string> { ["name"] = ConnectionSecret, ["key"] = ConnectionSecretKey }, secretStore: null, queuePerPod: true),
        new DaprObject
        {
            ApiVersion = "dapr.io/v2alpha1",
            Kind = "Subscription",
            Metadata = Metadata("polyglot-events"),
            Spec = new Dictionary<string, object>
            {
                ["pubsubname"] = IntegrationEventBatch.PubSubName,
                ["topic"] = IntegrationEventBatch.ExchangeName,
                ["routes"] = new Dictionary<string, string> { ["default"] = AppModelNames.DaprEventsRoute },
            },
            Scopes = [AppModelNames.Realtime],
        },
    ];

    /// <summary>The sidecars' Secrets: the broker's connection string, their API token, and realtime's app API token.</summary>
    public static IEnumerable<V1Secret> KubernetesSecrets(AppModel model, Values values) =>
    [
        Secret(ConnectionSecret, ConnectionSecretKey, BusConnectionString(model, values)),
        Secret(ApiTokenSecret, "token", Parameter(values, AppModelNames.DaprApiToken)),
        Secret(AppTokenSecret, "token", Parameter(values, AppModelNames.DaprAppToken)),
    ];

    private static V1Secret Secret(string name, string key, string value) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = Metadata(name),
        Type = "Opaque",
        StringData = new Dictionary<string, string> { [key] = value },
    };

    /// <summary>
    /// For Compose and for <c>dapr run</c>: the pub/sub Component reading the connection string from
    /// the sidecar's environment, through Dapr's environment secret store. File name → objects.
    /// </summary>
    public static Dictionary<string, IKubernetesObject> ComponentFiles() => new()
    {
        ["pubsub.yaml"] = PubSub(new Dictionary<string, string> { ["name"] = ConnectionVariable, ["key"] = ConnectionVariable }, secretStore: EnvironmentSecretStore, queuePerPod: false),
        ["secretstore.yaml"] = new DaprObject
        {
            ApiVersion = "dapr.io/v1alpha1",
            Kind = "Component",
            Metadata = Metadata(EnvironmentSecretStore),
            Spec = new Dictionary<string, object> { ["type"] = "secretstores.local.env", ["version"] = "v1" },
            Scopes = [AppModelNames.Crud, AppModelNames.Realtime],
        },
    };

    /// <summary>In Compose, the sidecar service beside <paramref name="resource"/>.</summary>
    public static string ComposeSidecarName(Resource resource) => $"{resource.Name}-dapr";

    /// <summary>In Compose, where the app finds its sidecar (the Dapr client reads it).</summary>
    public static KeyValuePair<string, string> ComposeSidecarAddress(Resource resource) => new("DAPR_GRPC_ENDPOINT", $"http://{ComposeSidecarName(resource)}:{GrpcPort}");

    /// <summary>
    /// A sidecar service of its own on the Compose network, the app and it reaching each other by
    /// name. Not sharing the app's network (<c>network_mode: service:APP</c>, as in a pod): Docker
    /// gives a restarted app a new network, and a sidecar joined to the old one reaches nothing.
    /// </summary>
    public static ComposeService ComposeSidecar(AppModel model, Resource resource, Values values)
    {
        List<string> command = ["./daprd", "--app-id", resource.Name, "--resources-path", "/components", "--dapr-grpc-port", GrpcPort.ToString(), "--dapr-listen-addresses", "0.0.0.0"];
        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [ConnectionVariable] = BusConnectionString(model, values),
            [AppModelNames.DaprApiTokenVariable] = Parameter(values, AppModelNames.DaprApiToken),
        };
        if (resource.Name == AppModelNames.Realtime)
        {
            command.AddRange(["--app-channel-address", resource.Name, "--app-port", resource.Bindings["http"].TargetPort.ToString(), "--app-protocol", "http"]);
            environment[AppModelNames.DaprAppTokenVariable] = Parameter(values, AppModelNames.DaprAppToken);
        }
        return new ComposeService
        {
            Image = Image,
            Command = command,
            Environment = environment,
            Volumes = [$"./{ComponentsDirectory}:/components:ro"],
            DependsOn = DependenciesOf(model, resource),
        };
    }

    /// <summary>Its app, and the broker when it is deployed here (with --external it is not a service).</summary>
    private static SortedDictionary<string, ComposeDependency> DependenciesOf(AppModel model, Resource resource)
    {
        var dependencies = new SortedDictionary<string, ComposeDependency>(StringComparer.Ordinal) { [resource.Name] = new() { Condition = "service_started" } };
        if (model[AppModelNames.Bus].IsContainer)
        {
            dependencies[AppModelNames.Bus] = new();
        }
        return dependencies;
    }

    private static string Parameter(Values values, string name) => values.Resolve($"{{{name}.value}}").Value;

    private static string BusConnectionString(AppModel model, Values values) =>
        values.Resolve(model[AppModelNames.Bus].ConnectionString ?? throw new InvalidOperationException("The bus has no connection string.")).Value;

    /// <param name="queuePerPod">
    /// A consumer id per pod, so each realtime replica has its own queue; outside Kubernetes (one
    /// realtime) the default, the app id, does.
    /// </param>
    private static DaprObject PubSub(Dictionary<string, string> connectionSecret, string? secretStore, bool queuePerPod)
    {
        List<Dictionary<string, object>> metadata =
        [
            new() { ["name"] = "connectionString", ["secretKeyRef"] = connectionSecret },
            new() { ["name"] = "durable", ["value"] = "true" },
            new() { ["name"] = "deliveryMode", ["value"] = "2" },            // persistent messages
            new() { ["name"] = "publisherConfirm", ["value"] = "true" },     // a publish returns once the broker has it
            new() { ["name"] = "concurrencyMode", ["value"] = "single" },    // one message at a time: order holds
            new() { ["name"] = "requeueInFailure", ["value"] = "true" },     // realtime's RETRY (its hub not open yet) comes again, not discarded
            new() { ["name"] = "deletedWhenUnused", ["value"] = "true" },    // a gone replica's queue goes too (a new one backfills)
        ];
        if (queuePerPod)
        {
            metadata.Add(new() { ["name"] = "consumerID", ["value"] = "{podName}" });
        }
        return new DaprObject
        {
            ApiVersion = "dapr.io/v1alpha1",
            Kind = "Component",
            Metadata = Metadata(IntegrationEventBatch.PubSubName),
            Spec = new Dictionary<string, object> { ["type"] = "pubsub.rabbitmq", ["version"] = "v1", ["metadata"] = metadata },
            Scopes = [AppModelNames.Crud, AppModelNames.Realtime],
            Auth = secretStore is null ? null : new Dictionary<string, string> { ["secretStore"] = secretStore },
        };
    }

    private static V1ObjectMeta Metadata(string name) => new() { Name = name, Labels = new Dictionary<string, string> { [KubernetesManifests.PartOfLabel] = KubernetesManifests.PartOf } };
}
