namespace Polyglot.Deploy.Tests;

/// <summary>The monolith deploys as one workload beside its database: no bus, no realtime, crud sized to hold the subscriptions.</summary>
public sealed class MonolithDeployTests(MonolithDeployFixture fixture) : IClassFixture<MonolithDeployFixture>
{
    private List<object> Objects { get; } = [.. Directory.GetFiles(Path.Combine(fixture.Output, "kubernetes"), "*.yaml")
        .Where(f => Path.GetFileName(f) != "kustomization.yaml")
        .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f), strict: true))];

    [Fact]
    public void OneServiceWorkloadBesideItsDatabaseAndNoBus()
    {
        Assert.Equal(["crud"], Objects.OfType<V1Deployment>().Select(d => d.Metadata.Name));
        Assert.Equal(["db-server"], Objects.OfType<V1StatefulSet>().Select(s => s.Metadata.Name));
        Assert.Equal(1, Objects.OfType<V1Deployment>().Single().Spec.Replicas);
        Assert.Empty(Objects.OfType<V1PodDisruptionBudget>());
        Assert.Equal(["crud.yaml", "db-server.yaml", "kustomization.yaml", "secrets.yaml"],
            fixture.Files.Where(f => f.StartsWith("kubernetes/", StringComparison.Ordinal)).Select(Path.GetFileName).Order());
        Assert.DoesNotContain("bus", fixture.Read("docker-compose.yaml"));
        Assert.DoesNotContain("amqp", string.Concat(Objects.OfType<V1Secret>().SelectMany(s => s.StringData.Values)));
    }

    [Fact]
    public void CrudIsToldItIsTheMonolithAndIsSizedToHoldTheSubscriptions()
    {
        var config = Objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "crud-config");
        var limits = Objects.OfType<V1Deployment>().Single().Spec.Template.Spec.Containers.Single().Resources.Limits;

        Assert.Equal("Monolith", config.Data["Topology"]);
        Assert.Equal(new ResourceQuantity("2Gi"), limits["memory"]);
    }

    [Fact]
    public async Task DockerComposeAcceptsTheMonolithsFile()
    {
        var (exitCode, output) = await Programs.RunAsync("docker-compose", "-f", Path.Combine(fixture.Output, "docker-compose.yaml"), "config", "-q");

        Assert.True(exitCode == 0, output);
    }
}
