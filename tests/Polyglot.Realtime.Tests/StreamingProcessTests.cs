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
        using var channel = SignedIn(streaming);
        using var grpc = await SubscribeWhenReadyAsync(new Contracts.Realtime.V1.Realtime.RealtimeClient(channel), timeout.Token);
        using var socket = await ConnectWebSocketAsync(streaming, timeout.Token);
        using var http = Http(streaming);
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

    /// <summary>A channel to the process's gRPC endpoint, signed in as the local service client (every scope).</summary>
    protected GrpcChannel SignedIn(ServiceProcess streaming) => LocalAuth.Shared.StreamingChannel(streaming.GrpcAddress, Fixture.TokenServerOf(streaming));

    /// <summary>A client of the process's HTTP endpoint, signed in as the local service client.</summary>
    protected HttpClient Http(ServiceProcess streaming, HttpMessageHandler? handler = null) =>
        LocalAuth.Shared.SignedInHttpClient(streaming.HttpAddress, Fixture.TokenServerOf(streaming), handler);

    protected async Task<ClientWebSocket> ConnectWebSocketAsync(ServiceProcess streaming, CancellationToken ct, HttpMessageInvoker? invoker = null)
    {
        var token = await LocalAuth.Shared.AccessTokenAsync(Fixture.TokenServerOf(streaming), ct);
        var socket = await TextStreams.ConnectWebSocketAsync(streaming.HttpAddress, "channel=all", token, ct, invoker);
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
