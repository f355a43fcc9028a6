using Polyglot.Deploy;

namespace Polyglot.Deploy.Tests;

/// <summary>
/// The deploy folder generated once from the real app host's manifest, with fixed passwords so
/// that the output is the same on every run (the golden test needs that).
/// </summary>
public class DeployFixture : IDisposable
{
    public const string BusPassword = "golden-bus-password-1";
    public const string DbPassword = "golden-db-password-22";

    public DeployFixture()
    {
        Output = Path.Combine(Path.GetTempPath(), $"polyglot-deploy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Output);
        var manifest = Path.Combine(Output, "aspire-manifest.json");
        AspireManifest.Publish(manifest, external: false, Topology, BusKind, build: false);
        Model = AppModel.Load(manifest);
        Options = new DeployOptions("", DeployOptions.DefaultTag, 2, new Dictionary<string, string>
        {
            ["bus-password"] = BusPassword,
            ["db-server-password"] = DbPassword,
            ["auth-signing-key"] = "golden-signing-key-of-43-characters-for-tests",
            ["auth-encryption-key"] = "golden-encryption-key-of-43-characters-tests",
            ["realtime-client-secret"] = "golden-realtime-client-secret-of-43-chars-x",
            ["dapr-app-token"] = "golden-dapr-app-token-of-43-characters-tests",
            ["dapr-api-token"] = "golden-dapr-api-token-of-43-characters-tests",
            ["admin-password"] = "golden-admin-password-of-43-characters-test",
            ["admin-client-secret"] = "golden-admin-client-secret-of-43-character",
        });
        Files = DeployFolder.Write(Model, Options, Output);
    }

    /// <summary>The topology the app model is published in.</summary>
    protected virtual Topology Topology => Topology.Split;

    /// <summary>How the split's events travel.</summary>
    protected virtual BusKind BusKind => BusKind.MassTransit;

    public string Output { get; }

    public AppModel Model { get; }

    public DeployOptions Options { get; }

    public IReadOnlyList<string> Files { get; }

    public string Read(string file) => File.ReadAllText(Path.Combine(Output, file));

    /// <summary>
    /// Every parameter's value (the passwords, keys and tokens) in a file other than the two that are
    /// for them, as "file: parameter"; each value is first checked to be in one of those two.
    /// </summary>
    public List<string> SecretsOutsideTheirFiles()
    {
        var secretFiles = Read("kubernetes/secrets.yaml") + Read(".env");
        var parameters = Options.Parameters.Where(p => Model.Resources.GetValueOrDefault(p.Key)?.IsParameter == true).ToList();
        Assert.All(parameters, parameter => Assert.Contains(parameter.Value, secretFiles));
        return [.. from file in Files.Where(f => f is not ("kubernetes/secrets.yaml" or ".env"))
                   from parameter in parameters
                   where Read(file).Contains(parameter.Value, StringComparison.Ordinal)
                   select $"{file}: {parameter.Key}"];
    }

    /// <summary>A service's pod template, as JSON, generated with one parameter given another value (or none).</summary>
    public string PodTemplate(string workload, string? parameter = null, string? value = null)
    {
        var parameters = new Dictionary<string, string>(Options.Parameters);
        if (parameter is not null)
        {
            parameters[parameter] = value!;
        }
        var objects = KubernetesManifests.Build(Model, Options with { Parameters = parameters })[$"{workload}.yaml"];
        return KubernetesJson.Serialize(objects.OfType<V1Deployment>().Single().Spec.Template);
    }

    public void Dispose()
    {
        Directory.Delete(Output, recursive: true);
        GC.SuppressFinalize(this);
    }
}
