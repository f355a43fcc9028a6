using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using Grpc.Core;
using Grpc.Net.Client;
using Polyglot.Contracts.Realtime.V1;
using Polyglot.LocalServers;
using Polyglot.Testing;
using RabbitMQ.Client;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// realtime as its own process (`dotnet Polyglot.Realtime.dll`), fed by the test as crud's relay
/// would feed it: what only a real process shows — a real SIGTERM, and its own memory.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class RealtimeProcessTests(OwnBrokerFixture fixture) : IClassFixture<OwnBrokerFixture>
{
    /// <summary>The host's shutdown timeout (.NET's default, which realtime keeps): the drain must end within it.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SigtermEndsEveryStreamOnEveryTransportWithReconnectAndResumeAndTheProcessExits()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var realtime = await StartRealtimeAsync([]);
        using var channel = GrpcChannel.ForAddress(realtime.GrpcAddress);
        using var grpc = await SubscribeWhenReadyAsync(new Contracts.Realtime.V1.Realtime.RealtimeClient(channel), timeout.Token);
        using var socket = await ConnectWebSocketAsync(realtime, timeout.Token);
        using var http = new HttpClient { BaseAddress = realtime.HttpAddress };
        await using var sse = await OpenSseAsync(http, timeout.Token);
        var grpcEnd = Assert.ThrowsAsync<RpcException>(() => grpc.ResponseStream.MoveNext(timeout.Token));
        var socketEnd = socket.ReadUntilCloseAsync(timeout.Token);
        var sseEnd = sse.ReadToEndAsync(timeout.Token);

        var exitCode = await realtime.TerminateAsync(ShutdownTimeout);

        Assert.Equal(0, exitCode);
        Assert.Equal(StatusCode.Unavailable, (await grpcEnd).StatusCode);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await socketEnd);
        Assert.Equal("draining", (await sseEnd)[^1].GetProperty("code").GetString());
    }

    [Fact]
    public async Task StalledReadersAreCutOffOnEveryTransportWhileOthersGetEverythingAndMemoryStaysBounded()
    {
        const int Events = 800, TitleLength = 32 * 1024, HistorySize = 64;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var realtime = await StartRealtimeAsync(new()
        {
            ["Hub__SubscriberQueueCapacity"] = "32",
            ["Hub__HistorySize"] = HistorySize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var healthyChannel = GrpcChannel.ForAddress(realtime.GrpcAddress);
        using var healthy = await SubscribeWhenReadyAsync(new Contracts.Realtime.V1.Realtime.RealtimeClient(healthyChannel), timeout.Token);
        // The stalled readers: each takes its `subscribed` message, then reads nothing more.
        using var stalledChannel = GrpcChannel.ForAddress(realtime.GrpcAddress); // a connection of its own
        using var stalledGrpc = await new Contracts.Realtime.V1.Realtime.RealtimeClient(stalledChannel).SubscribeAsync("all", null, timeout.Token);
        using var invoker = new HttpMessageInvoker(SmallReceiveBuffers());
        using var stalledSocket = await ConnectWebSocketAsync(realtime, timeout.Token, invoker);
        using var stalledHttp = new HttpClient(SmallReceiveBuffers()) { BaseAddress = realtime.HttpAddress };
        await using var stalledSse = await OpenSseAsync(stalledHttp, timeout.Token);
        using var http = new HttpClient { BaseAddress = realtime.HttpAddress };
        var before = await StatsAsync(http, timeout.Token);
        Assert.Equal(4, before.Subscriptions);

        var received = new List<long>();
        var lastReceived = 0L;
        var receiving = Task.Run(async () =>
        {
            while (received.Count < Events && await healthy.ResponseStream.MoveNext(timeout.Token))
            {
                received.Add(healthy.ResponseStream.Current.Event.Position);
                Volatile.Write(ref lastReceived, healthy.ResponseStream.Current.Event.Position);
            }
        });
        await using (var connection = await new ConnectionFactory { Uri = new Uri(fixture.Broker.ConnectionString) }.CreateConnectionAsync(timeout.Token))
        await using (var bus = await connection.CreateChannelAsync(cancellationToken: timeout.Token))
        {
            var board = Guid.NewGuid();
            foreach (var batch in Enumerable.Range(1, Events).Chunk(8))
            {
                await EventsExchange.PublishAsync(bus, [.. batch.Select(position => ManualBus.CardCreated(position, board, TitleLength))], timeout.Token);
                // The reader that keeps up is never more than a batch behind, well within its queue.
                await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref lastReceived) >= batch[^1]), TimeSpan.FromSeconds(30), $"the healthy reader to receive up to {batch[^1]}");
            }
        }

        // Cut off: the hub lets go of them while they still have not read.
        await Wait.UntilAsync(async () => (await StatsAsync(http, timeout.Token)).Subscriptions == 1, TimeSpan.FromSeconds(60), "the stalled readers to be cut off");
        // Each, reading again, gets what its transport had buffered and then the reason.
        var grpcEnd = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stalledGrpc.ResponseStream.MoveNext(timeout.Token))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, grpcEnd.StatusCode);
        Assert.Equal((WebSocketCloseStatus)4429, await stalledSocket.ReadUntilCloseAsync(timeout.Token));
        Assert.Equal("slow_consumer", (await stalledSse.ReadToEndAsync(timeout.Token))[^1].GetProperty("code").GetString());
        // The reader that kept up got every event, in order, meanwhile.
        await receiving;
        Assert.Equal(Enumerable.Range(1, Events).Select(p => (long)p), received);

        // What stays is the bounded history (64 events), not the 800 the stalled readers missed.
        var after = await StatsAsync(http, timeout.Token);
        const long Bound = 24L << 20;
        Assert.True(after.GcHeapBytes - before.GcHeapBytes < Bound,
            $"realtime's heap grew by {(after.GcHeapBytes - before.GcHeapBytes) >> 20} MiB (bound {Bound >> 20} MiB; the {Events} events are ~{Events * TitleLength * 3L >> 20} MiB in memory).");
    }

    private async Task<ServiceProcess> StartRealtimeAsync(Dictionary<string, string> settings)
    {
        var realtime = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>(settings)
        {
            ["ConnectionStrings__bus"] = fixture.Broker.ConnectionString,
            ["Crud__Address"] = fixture.Crud.GrpcAddress.ToString(),
        });
        await realtime.StartAsync();
        return realtime;
    }

    /// <summary>Subscribes to `all` once realtime takes subscribers (its queue consuming).</summary>
    private static async Task<AsyncServerStreamingCall<SubscribeResponse>> SubscribeWhenReadyAsync(Contracts.Realtime.V1.Realtime.RealtimeClient client, CancellationToken ct)
    {
        AsyncServerStreamingCall<SubscribeResponse>? call = null;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                call = await client.SubscribeAsync("all", null, ct);
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "realtime to take subscribers");
        return call!;
    }

    /// <summary>
    /// Client sockets that buffer little, like a phone on a poor network: otherwise Linux's
    /// autotuned receive buffer (up to 32 MB here) would soak up what a stalled reader leaves.
    /// </summary>
    private static SocketsHttpHandler SmallReceiveBuffers() => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 16 * 1024 };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    private static async Task<ClientWebSocket> ConnectWebSocketAsync(ServiceProcess realtime, CancellationToken ct, HttpMessageInvoker? invoker = null)
    {
        var socket = await TextStreams.ConnectWebSocketAsync(realtime.HttpAddress, "channel=all", ct, invoker);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(ct)).GetProperty("type").GetString());
        return socket;
    }

    private static async Task<SseStream> OpenSseAsync(HttpClient http, CancellationToken ct)
    {
        var sse = await SseStream.OpenAsync(http, "channel=all", ct);
        Assert.Equal("subscribed", (await sse.ReadAsync(ct)).Data.GetProperty("type").GetString());
        return sse;
    }

    private static async Task<Stats> StatsAsync(HttpClient http, CancellationToken ct) =>
        (await http.GetFromJsonAsync<Stats>("/stats?collect=true", ct))!;

    private sealed record Stats(long GcHeapBytes, int Subscriptions);
}
