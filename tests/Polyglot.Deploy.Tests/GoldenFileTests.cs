using Polyglot.LocalServers;
namespace Polyglot.Deploy.Tests;

/// <summary>
/// The generated files, compared with the reviewed copies in golden/: any change to what the
/// generator writes shows up in a diff. After an intended change, regenerate them with
/// <c>UPDATE_GOLDEN=1 dotnet test tests/Polyglot.Deploy.Tests</c> and review the diff.
/// </summary>
public sealed class GoldenFileTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static readonly string Golden = Path.Combine(Repository.Root, "tests", "Polyglot.Deploy.Tests", "golden");

    private static readonly string[] Reviewed =
    [
        "kubernetes/bus.yaml", "kubernetes/crud.yaml", "kubernetes/db-server.yaml", "kubernetes/realtime.yaml",
        "kubernetes/secrets.yaml", "kubernetes/kustomization.yaml", "docker-compose.yaml", ".env",
    ];

    public static TheoryData<string> GeneratedFiles() => [.. Reviewed];

    [Fact]
    public void TheGeneratorWritesExactlyTheFilesUnderReview() => Assert.Equal(Reviewed.Order(), fixture.Files.Order());

    [Theory]
    [MemberData(nameof(GeneratedFiles))]
    public void EachGeneratedFileMatchesItsGoldenCopy(string file)
    {
        var generated = fixture.Read(file);
        var golden = Path.Combine(Golden, file);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(golden)!);
            File.WriteAllText(golden, generated);
        }

        Assert.True(File.Exists(golden), $"No golden copy of {file}: run UPDATE_GOLDEN=1 dotnet test tests/Polyglot.Deploy.Tests and review it.");
        Assert.Equal(File.ReadAllText(golden), generated);
    }
}
