namespace Polyglot.Deploy.Tests;

/// <summary>
/// The deploy command as a user runs it (the built Polyglot.Deploy, in a process of its own): a bad
/// option is refused with a message naming it, and nothing is written; from a published manifest it
/// writes the deploy folder and lists what it wrote.
/// </summary>
public sealed class DeployCommandTests(DeployFixture fixture) : IClassFixture<DeployFixture>, IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"polyglot-deploy-command-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("--topology bogus", "--topology is split or monolith, not 'bogus'.")]
    [InlineData("--topology 1", "--topology is split or monolith, not '1'.")]
    [InlineData("--dapr --topology monolith", "--dapr is for the split")]
    [InlineData("--realtime-replicas 0", "--realtime-replicas is a whole number, 1 or more, not '0'.")]
    [InlineData("--realtime-replicas two", "--realtime-replicas is a whole number, 1 or more, not 'two'.")]
    [InlineData("--parameter bus-password", "--parameter takes NAME=VALUE, not 'bus-password'.")]
    [InlineData("--parameter bus-password=a --parameter bus-password=b", "--parameter bus-password is given more than once.")]
    [InlineData("--manifest missing.json", "--manifest: there is no file 'missing.json'.")]
    [InlineData("--outptu elsewhere", "outptu")]
    public async Task ABadOptionIsRefusedNamingItAndNothingIsWritten(string options, string message)
    {
        var (exitCode, printed) = await RunAsync([.. options.Split(' '), "--output", _output]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, printed);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public async Task FromAPublishedManifestItWritesTheDeployFolderAndListsWhatItWrote()
    {
        var (exitCode, printed) = await RunAsync("--output", _output, "--manifest", Path.Combine(fixture.Output, "aspire-manifest.json"));

        Assert.True(exitCode == 0, printed);
        string[] expected = [.. fixture.Files.Prepend("aspire-manifest.json").Order()];
        Assert.Equal(expected, Directory.EnumerateFiles(_output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_output, f)).Order());
        Assert.All(expected, file => Assert.Contains($"  {file}\n", printed));
    }

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) =>
        Programs.RunAsync(Path.Combine(AppContext.BaseDirectory, "Polyglot.Deploy"), arguments);

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }
}
