using System.Runtime.Versioning;

namespace Polyglot.Deploy.Tests;

/// <summary>
/// The deploy command as a user runs it (the built Polyglot.Deploy, in a process of its own): it
/// publishes the app host in the topology asked for and lists what it wrote, deploys a manifest
/// published before the same way, and refuses a bad option, a parameter the app model lacks or one
/// it needs with a message naming it, writing nothing.
/// </summary>
public sealed class DeployCommandTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), $"polyglot-deploy-command-{Guid.NewGuid():N}");
    private readonly string _again = Path.Combine(Path.GetTempPath(), $"polyglot-deploy-command-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("--topology bogus", "--topology is split or monolith, not 'bogus'.")]
    [InlineData("--topology 1", "--topology is split or monolith, not '1'.")]
    [InlineData("--topology split,monolith", "--topology is split or monolith, not 'split,monolith'.")]
    [InlineData("--dapr --topology monolith", "--dapr is for the split")]
    [InlineData("--realtime-replicas 3 --topology monolith", "--realtime-replicas is for the split: the monolith runs no realtime.")]
    [InlineData("--manifest aspire-manifest.json --dapr", "--topology, --dapr and --external choose what to publish")]
    [InlineData("--realtime-replicas 0", "--realtime-replicas is a whole number, 1 or more, not '0'.")]
    [InlineData("--realtime-replicas two", "--realtime-replicas is a whole number, 1 or more, not 'two'.")]
    [InlineData("--parameter bus-password", "--parameter takes NAME=VALUE, not 'bus-password'.")]
    [InlineData("--parameter bus-password=a --parameter bus-password=b", "--parameter bus-password is given more than once.")]
    [InlineData("--manifest missing.json", "--manifest: there is no file 'missing.json'.")]
    [InlineData("--parameter bus-password=it's", "--parameter bus-password: a value cannot hold ', ${ or a line break")]
    [InlineData("--parameter bus-password=a${HOME}", "--parameter bus-password: a value cannot hold ', ${ or a line break")]
    [InlineData("--parameter db-server-password=a;b", "--parameter db-server-password: a password cannot hold ; or \" or begin or end with a space")]
    [InlineData("--dapr --external --parameter bus=rabbitmq://crud@rabbit.internal/", "--parameter bus: on Dapr, the broker's connection string is an amqp:// or amqps:// URI")]
    [InlineData("--parameter auth-signing-key=0123456789abcdef0123456789abcde", "--parameter auth-signing-key: crud takes a secret of 32 characters or more here")]
    [InlineData("--parameter realtime-client-secret=0123456789abcde", "--parameter realtime-client-secret: crud takes a secret of 16 characters or more here")]
    [InlineData("--parameter auth-previous-signing-key=0123456789abcdef0123456789abcde", "--parameter auth-previous-signing-key: crud takes a secret of 32 characters or more here")]
    [InlineData("--parameter admin-password=0123456789a", "--parameter admin-password: crud takes a secret of 12 characters or more here")]
    [InlineData("--parameter admin-client-secret=0123456789abcde", "--parameter admin-client-secret: crud takes a secret of 16 characters or more here")]
    [InlineData("--outptu elsewhere", "Unknown option 'outptu'")]
    public async Task ABadOptionIsRefusedNamingItAndNothingIsWritten(string options, string message)
    {
        var (exitCode, printed) = await RunAsync([.. options.Split(' '), "--output", _output]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, printed);
        Assert.False(Directory.Exists(_output));
    }

    [Theory]
    [InlineData("bus=rabbit.internal:5672", "db=Host=db;Database=boards;Username=crud;Password=s3cret", "--parameter bus: the broker's connection string is an AMQP URI")]
    [InlineData("bus=amqp://crud:s3cret@rabbit.internal/", "db=postgres://crud:s3cret@db.internal/boards", "--parameter db: PostgreSQL's connection string is keywords and values")]
    [InlineData("bus=amqp://crud:s3cret@rabbit.internal/", "db=Database=boards;Password=s3cret", "--parameter db: PostgreSQL's connection string is keywords and values")]
    public async Task AnExternalServersConnectionStringInAnotherFormIsRefusedNamingItButNotItsSecret(string bus, string db, string message)
    {
        var (exitCode, printed) = await RunAsync("--external", "--parameter", bus, "--parameter", db, "--output", _output);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, printed);
        Assert.DoesNotContain("s3cret", printed);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public async Task ItPublishesTheTopologyAskedForListsWhatItWroteAndDeploysThatManifestAgainTheSameWay()
    {
        var (exitCode, printed) = await RunAsync("--topology", "monolith", "--output", _output);
        var (again, printedAgain) = await RunAsync("--manifest", Path.Combine(_output, "aspire-manifest.json"), "--output", _again);

        Assert.True(exitCode == 0, printed);
        var files = FilesIn(_output);
        Assert.Contains("kubernetes/crud.yaml", files);
        Assert.DoesNotContain("kubernetes/realtime.yaml", files);
        Assert.All(files, file => Assert.Contains($"  {file}\n", printed));
        Assert.True(again == 0, printedAgain);
        Assert.Equal(files, FilesIn(_again));
    }

    [Fact]
    public async Task TheImagesAndRealtimesReplicasAreTheOnesAskedFor()
    {
        var (exitCode, printed) = await RunAsync("--registry", "ghcr.io/you/", "--tag", "1.2.3", "--realtime-replicas", "3", "--output", _output);

        Assert.True(exitCode == 0, printed);
        var realtime = KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(Path.Combine(_output, "kubernetes", "realtime.yaml")), strict: true).OfType<V1Deployment>().Single();
        Assert.Equal(3, realtime.Spec.Replicas);
        Assert.Equal("ghcr.io/you/polyglot-realtime:1.2.3", realtime.Spec.Template.Spec.Containers.Single().Image);
        Assert.Contains("image: ghcr.io/you/polyglot-crud:1.2.3\n", await File.ReadAllTextAsync(Path.Combine(_output, "docker-compose.yaml")));
    }

    [Fact]
    public async Task ATopologyWrittenOverAnotherLeavesNoneOfTheOthersFilesWhileTheUsersOwnStay()
    {
        Assert.Equal(0, (await RunAsync("--dapr", "--output", _output)).ExitCode);
        string[] users = ["notes.txt", "kubernetes/overlays/prod/kustomization.yaml", "kubernetes/ingress.yaml", "dapr/statestore.yaml"];
        foreach (var file in users)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_output, file))!);
            await File.WriteAllTextAsync(Path.Combine(_output, file), "not the command's");
        }
        Assert.Contains("kubernetes/realtime.yaml", FilesIn(_output));

        var (exitCode, printed) = await RunAsync("--topology", "monolith", "--output", _output);

        Assert.True(exitCode == 0, printed);
        Assert.Contains("Removed kubernetes/realtime.yaml: an earlier run's, not this one's", printed);
        Assert.Contains("Removed dapr/pubsub.yaml: an earlier run's, not this one's", printed);
        // The same files as a monolith written into an empty folder, and the user's own.
        Assert.Equal(0, (await RunAsync("--topology", "monolith", "--output", _again)).ExitCode);
        Assert.Equal(FilesIn(_again).Concat(users).Order(StringComparer.Ordinal), FilesIn(_output).Order(StringComparer.Ordinal));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // modes are Unix's
    public async Task TheFilesOfPasswordsAreReadableByTheirOwnerAloneEvenWrittenOverOnesThatWereNot()
    {
        string[] secretFiles = [".env", "kubernetes/secrets.yaml"];
        Directory.CreateDirectory(Path.Combine(_output, "kubernetes"));
        foreach (var file in secretFiles)
        {
            await File.WriteAllTextAsync(Path.Combine(_output, file), "an earlier run's");
            File.SetUnixFileMode(Path.Combine(_output, file), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var (exitCode, printed) = await RunAsync("--output", _output);

        Assert.True(exitCode == 0, printed);
        Assert.All(secretFiles, file => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_output, file))));
        Assert.DoesNotContain("an earlier run's", await File.ReadAllTextAsync(Path.Combine(_output, ".env")));
    }

    [Fact]
    public async Task ADaprManifestPublishedBeforeTakesNoBusDaprCannotUseEither()
    {
        const string db = "db=Host=db.internal;Username=crud;Password=s3cret";
        Assert.Equal(0, (await RunAsync("--dapr", "--external", "--parameter", "bus=amqp://crud@rabbit.internal/", "--parameter", db, "--output", _again)).ExitCode);

        var (exitCode, printed) = await RunAsync("--manifest", Path.Combine(_again, "aspire-manifest.json"),
            "--parameter", "bus=rabbitmq://crud@rabbit.internal/", "--parameter", db, "--output", _output);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--parameter bus: on Dapr, the broker's connection string is an amqp:// or amqps:// URI", printed);
        Assert.False(Directory.Exists(_output));
    }

    [Fact]
    public async Task AParameterTheAppModelLacksOrOneItNeedsIsRefusedNamingItAndNothingIsWritten()
    {
        var (misspelt, printedMisspelt) = await RunAsync("--external", "--parameter", "bus-conection=amqp://rabbit", "--output", _output);
        var (missing, printedMissing) = await RunAsync("--external", "--parameter", "bus=amqp://rabbit", "--output", _output);

        Assert.NotEqual(0, misspelt);
        Assert.Contains("--parameter bus-conection: the app model has no parameter of that name", printedMisspelt);
        Assert.NotEqual(0, missing);
        Assert.Contains("Parameter 'db' needs a value: pass --parameter db=<value>.", printedMissing);
        Assert.False(Directory.Exists(_output));
    }

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) =>
        Programs.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Polyglot.Deploy.dll"), .. arguments]);

    private static string[] FilesIn(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(file => Path.GetRelativePath(folder, file)).Order()];

    public void Dispose()
    {
        foreach (var folder in new[] { _output, _again }.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
