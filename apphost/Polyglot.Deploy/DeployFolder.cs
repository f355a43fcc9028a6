using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Polyglot.Deploy;

/// <summary>Writes the deploy folder: kubernetes/ (kustomize-ready), docker-compose.yaml and its .env, and on Dapr the components in dapr/.</summary>
public static class DeployFolder
{
    public const string KubernetesDirectory = "kubernetes";
    public const string ComposeFileName = "docker-compose.yaml";
    public const string DotEnvFileName = ".env";

    /// <returns>The files written, relative to <paramref name="output"/>.</returns>
    public static IReadOnlyList<string> Write(AppModel model, DeployOptions options, string output)
    {
        options = options.CompleteParameters(model);
        var written = new List<string>();
        var kubernetes = Path.Combine(output, KubernetesDirectory);
        Directory.CreateDirectory(kubernetes);
        var files = KubernetesManifests.Build(model, options);
        foreach (var (name, objects) in files)
        {
            var text = string.Join("---\n", objects.Select(o => KubernetesYaml.Serialize(o).TrimEnd('\n') + "\n"));
            if (name == KubernetesManifests.SecretsFileName)
            {
                WriteSecret(Path.Combine(kubernetes, name), text);
            }
            else
            {
                File.WriteAllText(Path.Combine(kubernetes, name), text);
            }
            written.Add($"{KubernetesDirectory}/{name}");
        }
        File.WriteAllText(Path.Combine(kubernetes, "kustomization.yaml"), new SerializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .Build()
            .Serialize(new Kustomization { Resources = [.. files.Keys] }));
        written.Add($"{KubernetesDirectory}/kustomization.yaml");

        var (compose, dotEnv) = ComposeBuilder.Build(model, options);
        File.WriteAllText(Path.Combine(output, ComposeFileName), ComposeBuilder.Serialize(compose));
        WriteSecret(Path.Combine(output, DotEnvFileName), dotEnv);
        written.AddRange([ComposeFileName, DotEnvFileName]);

        if (DaprSidecars.Enabled(model))
        {
            var components = Path.Combine(output, DaprSidecars.ComponentsDirectory);
            Directory.CreateDirectory(components);
            foreach (var (name, component) in DaprSidecars.ComponentFiles())
            {
                File.WriteAllText(Path.Combine(components, name), KubernetesYaml.Serialize(component).TrimEnd('\n') + "\n");
                written.Add($"{DaprSidecars.ComponentsDirectory}/{name}");
            }
        }
        return written;
    }

    /// <summary>A file of passwords and keys: readable by its owner alone, not by everyone on the machine.</summary>
    private static void WriteSecret(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>The manifests the kustomization.yaml in <paramref name="output"/> lists, if there is one (as <see cref="Write"/> names them).</summary>
    public static IEnumerable<string> ManifestsListedIn(string output)
    {
        var kustomization = Path.Combine(output, KubernetesDirectory, "kustomization.yaml");
        if (!File.Exists(kustomization))
        {
            return [];
        }
        var listed = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).IgnoreUnmatchedProperties().Build()
            .Deserialize<Kustomization?>(File.ReadAllText(kustomization))?.Resources ?? [];
        // Only a plain file name is ours: a path elsewhere (../base) is the user's own.
        return listed.Where(name => Path.GetFileName(name) == name).Select(name => $"{KubernetesDirectory}/{name}");
    }

    private sealed class Kustomization
    {
        public string ApiVersion { get; init; } = "kustomize.config.k8s.io/v1beta1";

        public string Kind { get; init; } = "Kustomization";

        public List<string> Resources { get; init; } = [];
    }
}
