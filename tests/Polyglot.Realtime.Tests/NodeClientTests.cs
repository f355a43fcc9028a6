using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

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

        var node = await RunNodeClientAsync(fixture.StreamingGrpcAddress.Authority, timeout.Token);

        Assert.True(node.Code == 0, $"exit {node.Code}: {node.Errors}");
        Assert.Matches(@"created card \S+ ""Hello from Node""", node.Output);
        Assert.Matches(@"received cardCreated at position \d+: ""Hello from Node""", node.Output);
    }

    [Fact]
    public async Task TheNodeClientResumesAStreamThatFailsUnavailable()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        // Between the client and realtime: drops the first connection, passes the others on.
        using var relay = new TcpListener(IPAddress.Loopback, 0);
        relay.Start();
        var connections = 0;
        _ = Task.Run(async () =>
        {
            while (!timeout.Token.IsCancellationRequested)
            {
                var client = await relay.AcceptTcpClientAsync(timeout.Token);
                if (Interlocked.Increment(ref connections) == 1)
                {
                    client.Dispose();
                    continue;
                }
                _ = PassOnAsync(client, fixture.StreamingGrpcAddress, timeout.Token);
            }
        }, timeout.Token);

        var node = await RunNodeClientAsync($"127.0.0.1:{((IPEndPoint)relay.LocalEndpoint).Port}", timeout.Token);

        Assert.True(Volatile.Read(ref connections) >= 2, "The client never came back after its first connection was dropped.");
        Assert.Contains("resuming after position", node.Errors);
        Assert.True(node.Code == 0, $"exit {node.Code}: {node.Errors}");
        Assert.Matches(@"received cardCreated at position \d+: ""Hello from Node""", node.Output);
    }

    private Task<ProgramExit> RunNodeClientAsync(string realtimeAddress, CancellationToken ct)
    {
        var start = new ProcessStartInfo("node",
        [
            Path.Combine(Repository.Root, "clients", "node", "create-and-watch.mjs"),
            fixture.Crud.GrpcAddress.Authority,
            realtimeAddress,
        ]);
        start.Environment["POLYGLOT_CRUD_HTTP"] = fixture.Crud.HttpAddress.ToString();
        start.Environment["POLYGLOT_CLIENT_ID"] = LocalAuth.Shared.ClientId;
        start.Environment["POLYGLOT_CLIENT_SECRET"] = LocalAuth.Shared.ClientSecret;
        return ProgramRun.RunAsync(start, ct);
    }

    private static async Task PassOnAsync(TcpClient client, Uri target, CancellationToken ct)
    {
        using (client)
        using (var server = new TcpClient())
        {
            await server.ConnectAsync(target.Host, target.Port, ct);
            var (a, b) = (client.GetStream(), server.GetStream());
            await Task.WhenAny(a.CopyToAsync(b, ct), b.CopyToAsync(a, ct));
        }
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitNodeClientTests(SplitFixture fixture) : NodeClientTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithNodeClientTests(MonolithFixture fixture) : NodeClientTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
