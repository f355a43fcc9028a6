using Polyglot.LocalServers;

namespace Polyglot.Deploy.Tests;

/// <summary>
/// The generated files, compared with the reviewed copies in golden/ (one folder per variant):
/// any change to what the generator writes shows up in a diff. After an intended change,
/// regenerate them with <c>UPDATE_GOLDEN=1 dotnet test tests/Polyglot.Deploy.Tests</c> and review the diff.
/// </summary>
public sealed class GoldenFileTests(DeployFixture split, DaprDeployFixture dapr) : IClassFixture<DeployFixture>, IClassFixture<DaprDeployFixture>
{
    private static readonly string Golden = Path.Combine(Repository.Root, "tests", "Polyglot.Deploy.Tests", "golden");

    private static readonly string[] Common =
    [
        "kubernetes/bus.yaml", "kubernetes/crud.yaml", "kubernetes/db-server.yaml", "kubernetes/realtime.yaml",
        "kubernetes/secrets.yaml", "kubernetes/kustomization.yaml", "docker-compose.yaml", ".env",
    ];

    private static readonly Dictionary<string, string[]> Reviewed = new()
    {
        ["split"] = Common,
        ["dapr"] = [.. Common, "kubernetes/dapr.yaml", "dapr/pubsub.yaml", "dapr/secretstore.yaml"],
    };

    public static TheoryData<string, string> GeneratedFiles() => [.. Reviewed.SelectMany(v => v.Value.Select(file => (v.Key, file)))];

    [Theory]
    [InlineData("split")]
    [InlineData("dapr")]
    public void TheGeneratorWritesExactlyTheFilesUnderReview(string variant) => Assert.Equal(Reviewed[variant].Order(), Fixture(variant).Files.Order());

    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void EachGeneratedFileMatchesItsGoldenCopy(string variant, string file)
    {
        var generated = Fixture(variant).Read(file);
        var golden = Path.Combine(Golden, variant, file);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(golden)!);
            File.WriteAllText(golden, generated);
        }

        Assert.True(File.Exists(golden), $"No golden copy of {variant}/{file}: run UPDATE_GOLDEN=1 dotnet test tests/Polyglot.Deploy.Tests and review it.");
        Assert.Equal(File.ReadAllText(golden), generated);
    }

    private DeployFixture Fixture(string variant) => variant == "dapr" ? dapr : split;
}
