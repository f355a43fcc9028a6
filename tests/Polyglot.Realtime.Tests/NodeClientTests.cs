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
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["POLYGLOT_CRUD_HTTP"] = fixture.Crud.HttpAddress.ToString();
        start.Environment["POLYGLOT_CLIENT_ID"] = LocalAuth.Shared.ClientId;
        start.Environment["POLYGLOT_CLIENT_SECRET"] = LocalAuth.Shared.ClientSecret;
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = node.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill();
            }
        }

        Assert.True(node.ExitCode == 0, $"exit {node.ExitCode}: {await errors}");
        Assert.Matches(@"created card \S+ ""Hello from Node""", await output);
        Assert.Matches(@"received cardCreated at position \d+: ""Hello from Node""", await output);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitNodeClientTests(SplitFixture fixture) : NodeClientTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithNodeClientTests(MonolithFixture fixture) : NodeClientTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
