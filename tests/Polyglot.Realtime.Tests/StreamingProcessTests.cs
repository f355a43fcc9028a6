using System.Net.WebSockets;
using Grpc.Net.Client;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The streaming side as its own process, in either topology — realtime in the split, crud in
/// the monolith: what only a real process shows, a real SIGTERM and its own memory.
/// </summary>
public abstract class StreamingProcessTests<TFixture>(TFixture fixture) where TFixture : IStreamingProcessFixture
{
    /// <summary>The host's shutdown timeout (.NET's default, which the services keep): the drain must end within it.</summary>
    protected static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    protected TFixture Fixture => fixture;

    [Fact]
    public async Task SigtermEndsEveryStreamOnEveryTransportWithReconnectAndResumeAndTheProcessExits()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(90));
        await using var streaming = await Fixture.StartStreamingAsync([]);
        using var channel = GrpcChannel.ForAddress(streaming.GrpcAddress);
        using var grpc = await SubscribeWhenReadyAsync(new Contracts.Realtime.V1.Realtime.RealtimeClient(channel), timeout.Token);
        using var socket = await ConnectWebSocketAsync(streaming, timeout.Token);
        using var http = new HttpClient { BaseAddress = streaming.HttpAddress };
        await using var sse = await OpenSseAsync(http, timeout.Token);
        var grpcEnd = Assert.ThrowsAsync<RpcException>(() => grpc.ResponseStream.MoveNext(timeout.Token));
        var socketEnd = socket.ReadUntilCloseAsync(timeout.Token);
        var sseEnd = sse.ReadToEndAsync(timeout.Token);

        var exitCode = await streaming.TerminateAsync(ShutdownTimeout);

        Assert.Equal(0, exitCode);
        Assert.Equal(StatusCode.Unavailable, (await grpcEnd).StatusCode);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await socketEnd);
        Assert.Equal("draining", (await sseEnd)[^1].GetProperty("code").GetString());
    }

    /// <summary>Subscribes (to `all` unless asked otherwise) once the process takes subscribers.</summary>
    protected static async Task<AsyncServerStreamingCall<SubscribeResponse>> SubscribeWhenReadyAsync(
        Contracts.Realtime.V1.Realtime.RealtimeClient client, CancellationToken ct, SubscribeRequest? request = null)
    {
        AsyncServerStreamingCall<SubscribeResponse>? call = null;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                call = await client.SubscribeAsync(request ?? new SubscribeRequest { Channel = "all" }, ct);
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the streaming side to take subscribers");
        return call!;
    }

    protected static async Task<ClientWebSocket> ConnectWebSocketAsync(ServiceProcess streaming, CancellationToken ct, HttpMessageInvoker? invoker = null)
    {
        var socket = await TextStreams.ConnectWebSocketAsync(streaming.HttpAddress, "channel=all", ct, invoker);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(ct)).GetProperty("type").GetString());
        return socket;
    }

    protected static async Task<SseStream> OpenSseAsync(HttpClient http, CancellationToken ct)
    {
        var sse = await SseStream.OpenAsync(http, "channel=all", ct);
        Assert.Equal("subscribed", (await sse.ReadAsync(ct)).Data.GetProperty("type").GetString());
        return sse;
    }

    protected static async Task<Stats> StatsAsync(HttpClient http, CancellationToken ct) =>
        (await http.GetFromJsonAsync<Stats>("/stats?collect=true", ct))!;

    protected sealed record Stats(long GcHeapBytes, int Subscriptions);
}
