using Polyglot.LocalServers;

namespace Polyglot.Deploy.Tests;

/// <summary>
/// The Kubernetes files read back strictly into KubernetesClient's models (an unknown field
/// fails), then checked as a cluster would need them to be: labels, ports, references, probes,
/// limits, and secrets only in Secrets.
/// </summary>
public sealed class KubernetesTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private List<object> Objects { get; } = [.. Directory.GetFiles(Path.Combine(fixture.Output, "kubernetes"), "*.yaml")
        .Where(f => Path.GetFileName(f) != "kustomization.yaml")
        .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f), strict: true))];

    private IEnumerable<(string Name, IDictionary<string, string> Labels, V1PodSpec Pod)> Workloads =>
        Objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Metadata.Labels, d.Spec.Template.Spec))
            .Concat(Objects.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template.Metadata.Labels, s.Spec.Template.Spec)));

    [Fact]
    public void StrictParsingRejectsAFieldKubernetesDoesNotKnow()
    {
        const string typo = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  portz: []\n";

        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(typo, strict: true));
    }

    [Fact]
    public void TheAppModelsWorkloadsAreAllThere()
    {
        Assert.Equal(["bus", "crud", "db-server", "realtime"], Workloads.Select(w => w.Name).Order());
        Assert.Equal(["bus", "db-server"], Objects.OfType<V1StatefulSet>().Select(s => s.Metadata.Name).Order());
        Assert.Equal(2, Objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "realtime").Spec.Replicas);
    }

    [Fact]
    public void SelectorsMatchTheirPodsLabels()
    {
        foreach (var deployment in Objects.OfType<V1Deployment>())
        {
            Assert.True(IsSubset(deployment.Spec.Selector.MatchLabels, deployment.Spec.Template.Metadata.Labels), deployment.Metadata.Name);
        }
        foreach (var set in Objects.OfType<V1StatefulSet>())
        {
            Assert.True(IsSubset(set.Spec.Selector.MatchLabels, set.Spec.Template.Metadata.Labels), set.Metadata.Name);
            Assert.Contains(Objects.OfType<V1Service>(), s => s.Metadata.Name == set.Spec.ServiceName);
        }
        var budget = Assert.Single(Objects.OfType<V1PodDisruptionBudget>());
        Assert.True(IsSubset(budget.Spec.Selector.MatchLabels, Workloads.Single(w => w.Name == "realtime").Labels));
    }

    [Fact]
    public void EveryServiceSelectsAWorkloadAndTargetsAPortItsContainerHas()
    {
        foreach (var service in Objects.OfType<V1Service>())
        {
            var workload = Assert.Single(Workloads, w => IsSubset(service.Spec.Selector, w.Labels));
            var ports = workload.Pod.Containers.SelectMany(c => c.Ports ?? []).ToList();
            foreach (var port in service.Spec.Ports)
            {
                Assert.Contains(ports, p => p.Name == port.TargetPort.Value || p.ContainerPort.ToString() == port.TargetPort.Value);
            }
        }
        var grpc = Objects.OfType<V1Service>().Single(s => s.Metadata.Name == "realtime").Spec.Ports.Single(p => p.Name == "grpc");
        Assert.Equal("kubernetes.io/h2c", grpc.AppProtocol);
    }

    [Fact]
    public void EveryConfigMapAndSecretAReferenceNamesExists()
    {
        var configMaps = Objects.OfType<V1ConfigMap>().Select(c => c.Metadata.Name).ToHashSet();
        var secrets = Objects.OfType<V1Secret>().Select(s => s.Metadata.Name).ToHashSet();
        foreach (var container in Workloads.SelectMany(w => w.Pod.Containers))
        {
            foreach (var source in container.EnvFrom ?? [])
            {
                Assert.True(source.ConfigMapRef is null || configMaps.Contains(source.ConfigMapRef.Name), source.ConfigMapRef?.Name);
                Assert.True(source.SecretRef is null || secrets.Contains(source.SecretRef.Name), source.SecretRef?.Name);
            }
            Assert.All(container.Env ?? [], env => Assert.Null(env.Value)); // settings come only from ConfigMaps and Secrets
        }
    }

    [Fact]
    public void EveryContainerHasProbesOnItsOwnPortsAndResourceLimits()
    {
        foreach (var (name, _, pod) in Workloads)
        {
            foreach (var container in pod.Containers)
            {
                var ports = (container.Ports ?? []).Select(p => p.Name).ToHashSet();
                foreach (var probe in new[] { container.ReadinessProbe, container.LivenessProbe })
                {
                    Assert.NotNull(probe);
                    var port = probe.HttpGet?.Port.Value ?? probe.TcpSocket?.Port.Value;
                    Assert.True(probe.Exec is not null || ports.Contains(port!), $"{name}: probe on unknown port {port}");
                }
                Assert.True(container.Resources.Limits.ContainsKey("cpu") && container.Resources.Limits.ContainsKey("memory"), name);
                Assert.True(container.Resources.Requests.ContainsKey("cpu") && container.Resources.Requests.ContainsKey("memory"), name);
            }
        }
    }

    [Fact]
    public void AServiceHasMinutesToStartBeforeItsLivenessProbeMayRestartItSoALongMigrationIsNotCutShort()
    {
        foreach (var (name, _, pod) in Workloads.Where(w => w.Name is AppModelNames.Crud or AppModelNames.Realtime))
        {
            var container = Assert.Single(pod.Containers);
            var startup = container.StartupProbe;
            Assert.NotNull(startup);
            Assert.Equal(AppModelNames.AlivePath, startup.HttpGet.Path);
            Assert.True(startup.PeriodSeconds * startup.FailureThreshold >= 300, $"{name}: {startup.PeriodSeconds} s × {startup.FailureThreshold}");
        }
    }

    [Fact]
    public void AStoppingServiceServesOnUntilItsEndpointsAreGoneAndStillHasDotNetsShutdownTimeAfter()
    {
        foreach (var (name, _, pod) in Workloads.Where(w => w.Name is AppModelNames.Crud or AppModelNames.Realtime))
        {
            var sleep = Assert.Single(pod.Containers).Lifecycle?.PreStop?.Sleep;
            Assert.True(sleep is { Seconds: >= 5 }, $"{name}: no preStop sleep of 5 s or more");
            Assert.True(pod.TerminationGracePeriodSeconds >= sleep.Seconds + 30, $"{name}: {pod.TerminationGracePeriodSeconds} s to stop, {sleep.Seconds} of them asleep");
        }
    }

    [Fact]
    public void ThePostgresVolumeHoldsTheWriteAheadLogAtItsDefaultMaximumWithRoomForTheData()
    {
        var database = Objects.OfType<V1StatefulSet>().Single(s => s.Spec.Template.Spec.Containers[0].Image.StartsWith("docker.io/library/postgres", StringComparison.Ordinal));

        var claim = Assert.Single(database.Spec.VolumeClaimTemplates).Spec.Resources.Requests["storage"];

        Assert.True(claim.ToInt64() >= 5L * 1024 * 1024 * 1024, $"{claim}: max_wal_size is 1 GB by default");
    }

    [Fact]
    public void NoSecretValueAppearsOutsideTheSecrets()
    {
        var secretValues = Objects.OfType<V1Secret>().SelectMany(s => s.StringData.Values).ToList();
        Assert.Contains(secretValues, v => v.Contains(DeployFixture.BusPassword));
        Assert.Contains(secretValues, v => v.Contains(DeployFixture.DbPassword));

        Assert.Equal([], fixture.SecretsOutsideTheirFiles());
    }

    [Fact]
    public void AChangedSettingOrSecretChangesThePodTemplatesOfThePodsThatReadItSoApplyingRollsThem()
    {
        var (crud, realtime) = (fixture.PodTemplate("crud"), fixture.PodTemplate("realtime"));

        Assert.Equal(crud, fixture.PodTemplate("crud")); // nothing changed: nothing rolls
        Assert.NotEqual(crud, fixture.PodTemplate("crud", "auth-signing-key", "another-signing-key-of-43-characters-for-it"));
        Assert.Equal(realtime, fixture.PodTemplate("realtime", "auth-signing-key", "another-signing-key-of-43-characters-for-it"));
        Assert.NotEqual(realtime, fixture.PodTemplate("realtime", "realtime-client-secret", "another-realtime-client-secret-of-43-chars"));
        Assert.NotEqual(crud, fixture.PodTemplate("crud", "realtime-client-secret", "another-realtime-client-secret-of-43-chars"));
        Assert.DoesNotContain("another-", fixture.PodTemplate("crud", "auth-signing-key", "another-signing-key-of-43-characters-for-it"));
    }

    [Fact]
    public void ASigningKeyBeingRotatedOutIsPublishedBesideTheCurrentOneAndRollsCrud()
    {
        const string previous = "a-signing-key-being-rotated-out-of-43-chars";
        var rotating = fixture.Options with { Parameters = new Dictionary<string, string>(fixture.Options.Parameters) { [AppModelNames.AuthPreviousSigningKey] = previous } };

        string CrudSecret(DeployOptions options) => KubernetesManifests.Build(fixture.Model, options)["secrets.yaml"]
            .OfType<V1Secret>().Single(s => s.Metadata.Name == "crud-secrets").StringData["Auth__PreviousSigningKey"];

        Assert.Equal("", CrudSecret(fixture.Options)); // none unless given
        Assert.Equal(previous, CrudSecret(rotating));
        Assert.NotEqual(fixture.PodTemplate("crud"), fixture.PodTemplate("crud", AppModelNames.AuthPreviousSigningKey, previous));
    }

    [Fact]
    public void ThePostgresCheckAsksOverTcpNotTheSocketItsImageServesAloneWhileMakingTheDatabase()
    {
        var database = Objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "db-server").Spec.Template.Spec.Containers.Single();

        Assert.All([database.ReadinessProbe.Exec.Command, database.LivenessProbe.Exec.Command], command =>
            Assert.Equal(["pg_isready", "-h", "127.0.0.1"], command.Take(3)));
    }

    [Fact]
    public void TheKustomizationListsEveryFileBesideIt()
    {
        var listed = fixture.Read("kubernetes/kustomization.yaml").Split('\n').Where(l => l.StartsWith("- ")).Select(l => l[2..]).Order();
        var beside = Directory.GetFiles(Path.Combine(fixture.Output, "kubernetes"), "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order();

        Assert.Equal(beside, listed);
    }

    [Theory]
    [InlineData("crud", "services/Polyglot.Crud")]
    [InlineData("realtime", "services/Polyglot.Realtime")]
    public async Task TheServicesRunExactlyTheImagesTheirProjectsPublish(string workload, string project)
    {
        // What `dotnet publish -t:PublishContainer` would name the image, asked of MSBuild itself.
        using var msbuild = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
            "dotnet", ["msbuild", Path.Combine(Repository.Root, project), "-getProperty:ContainerRepository", "-getProperty:ContainerImageTag"])
        { RedirectStandardOutput = true })!;
        var properties = System.Text.Json.JsonDocument.Parse(await msbuild.StandardOutput.ReadToEndAsync()).RootElement.GetProperty("Properties");
        await msbuild.WaitForExitAsync();

        var image = $"{properties.GetProperty("ContainerRepository").GetString()}:{properties.GetProperty("ContainerImageTag").GetString()}";
        Assert.Equal(image, Workloads.Single(w => w.Name == workload).Pod.Containers[0].Image);
    }

    private static bool IsSubset(IDictionary<string, string> subset, IDictionary<string, string> of) =>
        subset.All(pair => of.TryGetValue(pair.Key, out var value) && value == pair.Value);
}
