using System.Diagnostics;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The README's Node.js client (clients/node/create-and-watch.mjs: @grpc/grpc-js, the protos
/// loaded at run time) signs in, creates a card on crud and sees it arrive on the stream, in both topologies.
/// </summary>
public abstract class NodeClientTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    [Fact]
    public async Task TheNodeClientCreatesACardAndWatchesItArrive()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var start = new ProcessStartInfo("node",
        [
            Path.Combine(Repository.Root, "clients", "node", "create-and-watch.mjs"),
            fixture.Crud.GrpcAddress.Authority,
            fixture.StreamingGrpcAddress.Authority,
        ]);
        start.Environment["POLYGLOT_CRUD_HTTP"] = fixture.Crud.HttpAddress.ToString();
        start.Environment["POLYGLOT_CLIENT_ID"] = LocalAuth.Shared.ClientId;
        start.Environment["POLYGLOT_CLIENT_SECRET"] = LocalAuth.Shared.ClientSecret;
        var node = await ProgramRun.RunAsync(start, timeout.Token);

        Assert.True(node.Code == 0, $"exit {node.Code}: {node.Errors}");
        Assert.Matches(@"created card \S+ ""Hello from Node""", node.Output);
        Assert.Matches(@"received cardCreated at position \d+: ""Hello from Node""", node.Output);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitNodeClientTests(SplitFixture fixture) : NodeClientTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithNodeClientTests(MonolithFixture fixture) : NodeClientTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
