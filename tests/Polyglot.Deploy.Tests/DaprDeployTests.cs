using Polyglot.Contracts.Events;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Polyglot.Deploy.Tests;

/// <summary>
/// The split on Dapr as <c>--dapr</c> writes it: a sidecar annotated onto crud and realtime, the
/// broker behind Dapr's pub/sub component, and Compose with daprd sidecars. KubernetesClient's
/// models read what they know strictly; Dapr's own kinds are read as YAML maps. No Dapr control
/// plane or daprd checks them here.
/// </summary>
public sealed class DaprDeployTests(DaprDeployFixture fixture) : IClassFixture<DaprDeployFixture>
{
    private List<object> Objects { get; } = [.. Directory.GetFiles(Path.Combine(fixture.Output, "kubernetes"), "*.yaml")
        .Where(f => Path.GetFileName(f) is not ("kustomization.yaml" or "dapr.yaml"))
        .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f), strict: true))];

    [Fact]
    public void CrudAndRealtimeGetASidecarAndOnlyTheSidecarsAreToldTheBroker()
    {
        foreach (var name in new[] { AppModelNames.Crud, AppModelNames.Realtime })
        {
            var pod = Objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == name).Spec.Template;
            Assert.Equal("true", pod.Metadata.Annotations["dapr.io/enabled"]);
            Assert.Equal(name, pod.Metadata.Annotations["dapr.io/app-id"]);
            var settings = Settings(name);
            Assert.Equal(nameof(BusKind.Dapr), settings["Bus__Kind"]);
            Assert.DoesNotContain(settings, s => s.Value.StartsWith("amqp", StringComparison.Ordinal));
            // Each sidecar takes calls to its API only with the token crud, the one that calls, has.
            var apiToken = Objects.OfType<V1Secret>().Single(s => s.Metadata.Name == pod.Metadata.Annotations["dapr.io/api-token-secret"]).StringData["token"];
            Assert.Equal(Settings(AppModelNames.Crud)[AppModelNames.DaprApiTokenVariable], apiToken);
            Assert.False(string.IsNullOrEmpty(apiToken));
        }
        Assert.DoesNotContain(AppModelNames.DaprApiTokenVariable, Settings(AppModelNames.Realtime).Keys);
        var realtime = Objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == AppModelNames.Realtime).Spec.Template;
        var http = realtime.Spec.Containers.Single().Ports.Single(p => p.Name == "http");
        Assert.Equal(http.ContainerPort.ToString(), realtime.Metadata.Annotations["dapr.io/app-port"]);
        Assert.Equal("http", realtime.Metadata.Annotations["dapr.io/app-protocol"]);
        // The sidecar delivers with the token realtime expects: one value, in the two Secrets.
        var tokenSecret = Objects.OfType<V1Secret>().Single(s => s.Metadata.Name == realtime.Metadata.Annotations["dapr.io/app-token-secret"]);
        Assert.Equal(tokenSecret.StringData["token"], Settings(AppModelNames.Realtime)[AppModelNames.DaprAppTokenVariable]);
        Assert.Contains(Objects.OfType<V1StatefulSet>(), s => s.Metadata.Name == AppModelNames.Bus);
    }

    [Fact]
    public void ASidecarStaysUpWhileItsAppServesOnInItsPreStopSleep()
    {
        foreach (var name in new[] { AppModelNames.Crud, AppModelNames.Realtime })
        {
            var pod = Objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == name).Spec.Template;

            var sleep = pod.Spec.Containers.Single().Lifecycle.PreStop.Sleep.Seconds;

            Assert.Equal($"{sleep}s", pod.Metadata.Annotations["dapr.io/block-shutdown-duration"]);
        }
    }

    [Fact]
    public void NoSecretValueAppearsOutsideTheSecrets() => Assert.Equal([], fixture.SecretsOutsideTheirFiles());

    [Fact]
    public void ANewBrokerPasswordRollsTheServicesWhoseSidecarsReadItThoughTheServicesDoNot()
    {
        Assert.DoesNotContain(Settings(AppModelNames.Realtime).Values, value => value.Contains(DeployFixture.BusPassword));
        Assert.All([AppModelNames.Crud, AppModelNames.Realtime], workload =>
            Assert.NotEqual(fixture.PodTemplate(workload), fixture.PodTemplate(workload, "bus-password", "another-bus-password")));
    }

    [Fact]
    public void ThePubSubComponentKeepsOrderGivesEachReplicaEveryEventAndTakesItsConnectionFromASecret()
    {
        var dapr = Documents(fixture.Read("kubernetes/dapr.yaml"));
        var component = dapr.Single(d => (string)d["kind"] == "Component");
        var spec = Map(component["spec"]);
        var metadata = List(spec["metadata"]).Select(Map).ToDictionary(m => (string)m["name"]);

        Assert.Equal(IntegrationEventBatch.PubSubName, Map(component["metadata"])["name"]);
        Assert.Equal("pubsub.rabbitmq", spec["type"]);
        Assert.Equal("true", metadata["durable"]["value"]);
        Assert.Equal("2", metadata["deliveryMode"]["value"]);
        Assert.Equal("true", metadata["publisherConfirm"]["value"]);
        Assert.Equal("single", metadata["concurrencyMode"]["value"]);
        Assert.Equal("{podName}", metadata["consumerID"]["value"]);
        Assert.Equal("true", metadata["requeueInFailure"]["value"]); // realtime's RETRY (hub not open yet) is redelivered, not discarded
        Assert.Equal("true", metadata["deletedWhenUnused"]["value"]); // the component's key, spelt so
        Assert.Equal([AppModelNames.Crud, AppModelNames.Realtime], List(component["scopes"]));
        var reference = Map(metadata["connectionString"]["secretKeyRef"]);
        var secret = Objects.OfType<V1Secret>().Single(s => s.Metadata.Name == (string)reference["name"]);
        Assert.Equal($"amqp://guest:{DeployFixture.BusPassword}@bus:5672", secret.StringData[(string)reference["key"]]);

        var subscription = dapr.Single(d => (string)d["kind"] == "Subscription");
        var subscribed = Map(subscription["spec"]);
        Assert.Equal(IntegrationEventBatch.PubSubName, subscribed["pubsubname"]);
        Assert.Equal(IntegrationEventBatch.ExchangeName, subscribed["topic"]);
        Assert.Equal(AppModelNames.DaprEventsRoute, Map(subscribed["routes"])["default"]);
        Assert.Equal([AppModelNames.Realtime], List(subscription["scopes"]));
        Assert.Contains("dapr.yaml", fixture.Read("kubernetes/kustomization.yaml"));
    }

    [Fact]
    public async Task DockerComposeAcceptsDaprdSidecarsOfTheirOwnThatTheAppsReachByNameAndThatReadTheBrokerFromTheirEnvironment()
    {
        var (exitCode, resolved) = await Programs.RunAsync("docker-compose", "-f", Path.Combine(fixture.Output, "docker-compose.yaml"), "config");

        Assert.True(exitCode == 0, resolved);
        var services = Map(Documents(resolved).Single()["services"]);
        foreach (var name in new[] { AppModelNames.Crud, AppModelNames.Realtime })
        {
            var sidecar = Map(services[$"{name}-dapr"]);
            // Not in the app's network: Docker gives a restarted app a new one, which a sidecar joined to the old one never reaches.
            Assert.False(sidecar.ContainsKey("network_mode"));
            var command = List(sidecar["command"]).Cast<string>().ToList();
            Assert.Equal(name, command[command.IndexOf("--app-id") + 1]);
            Assert.Equal("0.0.0.0", command[command.IndexOf("--dapr-listen-addresses") + 1]);
            Assert.Equal($"http://{name}-dapr:50001", Map(Map(services[name])["environment"])["DAPR_GRPC_ENDPOINT"]);
            Assert.Equal($"amqp://guest:{DeployFixture.BusPassword}@bus:5672", Map(sidecar["environment"])["BUS_CONNECTION_STRING"]);
            Assert.Equal(Map(Map(services[AppModelNames.Crud])["environment"])[AppModelNames.DaprApiTokenVariable], Map(sidecar["environment"])[AppModelNames.DaprApiTokenVariable]);
        }
        // realtime's sidecar delivers to realtime by name, with the token realtime expects.
        var realtimeSidecar = Map(services["realtime-dapr"]);
        var delivery = List(realtimeSidecar["command"]).Cast<string>().ToList();
        Assert.Equal(AppModelNames.Realtime, delivery[delivery.IndexOf("--app-channel-address") + 1]);
        var token = Map(realtimeSidecar["environment"])[AppModelNames.DaprAppTokenVariable];
        Assert.Equal(token, Map(Map(services[AppModelNames.Realtime])["environment"])[AppModelNames.DaprAppTokenVariable]);
        Assert.False(string.IsNullOrEmpty((string)token));
        // The components the sidecars load: the broker's connection string from their environment.
        var pubsub = Documents(fixture.Read("dapr/pubsub.yaml")).Single();
        var connection = List(Map(pubsub["spec"])["metadata"]).Select(Map).Single(m => (string)m["name"] == "connectionString");
        Assert.Equal("BUS_CONNECTION_STRING", Map(connection["secretKeyRef"])["name"]);
        var store = Documents(fixture.Read("dapr/secretstore.yaml")).Single();
        Assert.Equal(Map(pubsub["auth"])["secretStore"], Map(store["metadata"])["name"]);
        Assert.Equal("secretstores.local.env", Map(store["spec"])["type"]);
    }

    /// <summary>A service's settings: its ConfigMap and its Secret together.</summary>
    private Dictionary<string, string> Settings(string name) =>
        Objects.OfType<V1ConfigMap>().Where(c => c.Metadata.Name == $"{name}-config").SelectMany(c => c.Data)
            .Concat(Objects.OfType<V1Secret>().Where(s => s.Metadata.Name == $"{name}-secrets").SelectMany(s => s.StringData))
            .ToDictionary();

    private static List<Dictionary<object, object>> Documents(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var deserializer = new DeserializerBuilder().Build();
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        }
        return documents;
    }

    private static Dictionary<object, object> Map(object value) => Assert.IsType<Dictionary<object, object>>(value);

    private static List<object> List(object value) => Assert.IsType<List<object>>(value);
}
