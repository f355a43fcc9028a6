using Polyglot.Deploy;

namespace Polyglot.Deploy.Tests;

/// <summary>--external: RabbitMQ and PostgreSQL exist already; their connection strings are parameters that live only in Secrets and .env.</summary>
public sealed class ExternalServersTests : IDisposable
{
    private const string Bus = "amqp://app:external-bus-secret@rabbit.example:5672";
    private const string Db = "Host=pg.example;Username=app;Password=external-db-secret;Database=polyglot";
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"polyglot-deploy-external-{Guid.NewGuid():N}");

    [Fact]
    public void OnlyTheServicesAreDeployedAndTheConnectionStringsStayInSecrets()
    {
        Directory.CreateDirectory(_output);
        var manifest = Path.Combine(_output, "aspire-manifest.json");
        AspireManifest.Publish(manifest, external: true, build: false);
        var model = AppModel.Load(manifest);

        var files = DeployFolder.Write(model, new DeployOptions("registry.example/team", "1.2.3", 3, new Dictionary<string, string> { ["bus"] = Bus, ["db"] = Db }), _output);

        var objects = files.Where(f => f.StartsWith("kubernetes/") && !f.EndsWith("kustomization.yaml"))
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(_output, f)), strict: true)).ToList();
        Assert.Empty(objects.OfType<V1StatefulSet>());
        Assert.Equal(["crud", "realtime"], objects.OfType<V1Deployment>().Select(d => d.Metadata.Name).Order());
        Assert.Equal("registry.example/team/polyglot-crud:1.2.3", objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "crud").Spec.Template.Spec.Containers[0].Image);
        var crudSecrets = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "crud-secrets").StringData;
        Assert.Equal(Bus, crudSecrets["ConnectionStrings__bus"]);
        Assert.Equal(Db, crudSecrets["ConnectionStrings__db"]);
        foreach (var file in files.Where(f => f is not "kubernetes/secrets.yaml" and not ".env"))
        {
            var text = File.ReadAllText(Path.Combine(_output, file));
            Assert.DoesNotContain("external-bus-secret", text);
            Assert.DoesNotContain("external-db-secret", text);
        }
    }

    [Theory]
    [InlineData(BusKind.MassTransit)]
    [InlineData(BusKind.Dapr)]
    public async Task DockerComposeAcceptsTheFileAndReadsTheConnectionStringsAsGiven(BusKind busKind)
    {
        const string db = "Host=pg.example;Username=app;Password=pa$word #1;Database=polyglot"; // unquoted, Compose expands $word and cuts at #
        Directory.CreateDirectory(_output);
        var manifest = Path.Combine(_output, "aspire-manifest.json");
        AspireManifest.Publish(manifest, external: true, busKind: busKind, build: false);
        DeployFolder.Write(AppModel.Load(manifest), new DeployOptions("", "1.0.0", 1, new Dictionary<string, string> { ["bus"] = Bus, ["db"] = db }), _output);

        var (exitCode, resolved) = await Programs.RunAsync("docker-compose", "-f", Path.Combine(_output, "docker-compose.yaml"), "config");

        Assert.True(exitCode == 0, resolved);
        Assert.Contains(db.Replace("$", "$$"), resolved); // config prints a $ escaped, as a Compose file writes it
    }

    [Fact]
    public void AMissingConnectionStringIsNamedWithTheOptionThatGivesIt()
    {
        Directory.CreateDirectory(_output);
        var manifest = Path.Combine(_output, "aspire-manifest.json");
        AspireManifest.Publish(manifest, external: true, build: false);

        var error = Assert.Throws<InvalidOperationException>(() =>
            DeployFolder.Write(AppModel.Load(manifest), new DeployOptions("", "1.0.0", 2, new Dictionary<string, string> { ["bus"] = Bus }), _output));

        Assert.Contains("--parameter db=", error.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }
}
