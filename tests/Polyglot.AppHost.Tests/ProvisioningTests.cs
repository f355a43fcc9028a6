using Aspire.Hosting;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// When the bus cannot be provided, or the settings contradict the topology, the app host refuses
/// to start, saying how to fix it, instead of waiting forever or running something else.
/// </summary>
public sealed class ProvisioningTests
{
    [Fact]
    public async Task AnExternalBusWithoutAConnectionStringFailsAtOnceSayingWhatToSet()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>(["--Polyglot:Bus:Mode=External"]);
            await using var app = await builder.BuildAsync();
        });

        var message = Flatten(error);
        Assert.Contains("ConnectionStrings:bus", message);
    }

    [Fact]
    public async Task AnUnknownModeIsRejected()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>(["--Polyglot:Bus:Mode=Carrier-pigeon"]);
            await using var app = await builder.BuildAsync();
        });

        Assert.Contains("Polyglot:Bus:Mode is 'Carrier-pigeon': set it to Auto or Container or Executable or External.", Flatten(error));
    }

    [Theory]
    [InlineData("Postgress")]
    [InlineData("1")]
    public async Task ADatabaseProviderThatNamesNoneIsRejectedSayingWhatItMayBe(string provider)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>([$"--Polyglot:Database:Provider={provider}"]);
            await using var app = await builder.BuildAsync();
        });

        Assert.Contains($"Polyglot:Database:Provider is '{provider}': set it to Sqlite or Postgres.", Flatten(error));
    }

    [Theory]
    [InlineData("--Polyglot:Topology=Microservices", "Polyglot:Topology is 'Microservices': set it to Split")]
    [InlineData("--Polyglot:Topology=Split,Monolith", "Polyglot:Topology is 'Split,Monolith': set it to Split")]
    [InlineData("--Polyglot:Topology=1", "Polyglot:Topology is '1': set it to Split")]
    [InlineData("--Polyglot:Realtime:Replicas=2", "Polyglot:Topology=Monolith runs no realtime, so Polyglot:Realtime:Replicas=2 cannot apply")]
    [InlineData("--ConnectionStrings:bus=amqp://guest:guest@localhost:5672", "Polyglot:Topology=Monolith uses no bus, so ConnectionStrings:bus cannot apply")]
    [InlineData("--Polyglot:Bus:Kind=Dapr", "Polyglot:Topology=Monolith uses no bus, so Polyglot:Bus:Kind=Dapr cannot apply")]
    public async Task AContradictoryTopologyFailsAtOnceSayingWhatToSet(string setting, string expected)
    {
        string[] args = setting.StartsWith("--Polyglot:Topology=", StringComparison.Ordinal) ? [setting] : ["--Polyglot:Topology=Monolith", setting];

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>(args);
            await using var app = await builder.BuildAsync();
        });

        Assert.Contains(expected, Flatten(error));
    }

    [Theory]
    [InlineData("Dapr", "Polyglot:Bus:Kind=Dapr needs a Dapr sidecar (daprd) beside crud and realtime, which the app host does not run")]
    [InlineData("Kafka", "Polyglot:Bus:Kind is 'Kafka': set it to MassTransit or Dapr")]
    [InlineData("MassTransit,Dapr", "Polyglot:Bus:Kind is 'MassTransit,Dapr': set it to MassTransit or Dapr")]
    public async Task ABusKindTheAppHostCannotRunStopsItAtOnceSayingWhereItRuns(string kind, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>([$"--Polyglot:Bus:Kind={kind}"]);
            await using var app = await builder.BuildAsync();
        });

        Assert.Contains(expected, Flatten(error));
    }

    private static string Flatten(Exception error) =>
        string.Join(" | ", Enumerable.Repeat(error, 1).Concat(error is AggregateException a ? a.Flatten().InnerExceptions : [])
            .SelectMany(e => new[] { e, e.InnerException }).OfType<Exception>().Select(e => $"{e.GetType().Name}: {e.Message}"));
}
