namespace Polyglot.Realtime.Tests;

/// <summary>
/// crud down while a subscriber needs a catch-up from its log, or crud's word on who is on a board,
/// or its keys: every transport says "unavailable, resume later" in its own words — never crud's
/// status or message, and never "unauthenticated" for a token that may be good.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class CrudUnreachableTests(CrudDownFixture fixture) : IClassFixture<CrudDownFixture>
{
    [Fact]
    public async Task OverGrpcTheStreamEndsUnavailableWithRealtimesOwnMessage()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var resumed = await fixture.RealtimeClient.SubscribeAsync("all", 0, timeout.Token);

        var ended = await Assert.ThrowsAsync<RpcException>(() => resumed.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(StatusCode.Unavailable, ended.StatusCode);
        Assert.StartsWith("The event log cannot be read right now", ended.Status.Detail);
        Assert.Contains("resume later", ended.Status.Detail);
    }

    [Fact]
    public async Task OverWebSocketTheSocketClosesWith1013TryAgainLater()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var socket = await fixture.ConnectWebSocketAsync("channel=all&after=0", timeout.Token);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());

        Assert.Equal((WebSocketCloseStatus)1013, await socket.ReadUntilCloseAsync(timeout.Token));
        Assert.Contains("resume later", socket.CloseStatusDescription);
    }

    [Fact]
    public async Task OverWebSocketTheSubscriptionHasLeftItsChannelBeforeTheCloseFrameNotOnceTheClientAnswersIt()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var subscriber = Guid.NewGuid().ToString();
        using var socket = await fixture.ConnectWebSocketAsync($"channel=all&after=0&subscriber={subscriber}", timeout.Token);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());
        var hub = fixture.Realtime.Services.GetRequiredService<ChannelHub>();
        Assert.Equal(1, hub.LocalSubscribers(HubChannel.All, [subscriber])[subscriber]);

        // The server's close frame read, and not answered: the server waits seconds for the answer.
        var buffer = new byte[4096];
        while ((await socket.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close)
        {
        }

        Assert.Equal((WebSocketCloseStatus)1013, socket.CloseStatus);
        Assert.Equal(WebSocketState.CloseReceived, socket.State);
        Assert.Equal(0, hub.LocalSubscribers(HubChannel.All, [subscriber])[subscriber]);
    }

    [Fact]
    public async Task OverSseTheStreamEndsWithAnUnavailableError()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var http = fixture.StreamingHttp();
        await using var sse = await SseStream.OpenAsync(http, "channel=all&after=0", timeout.Token);

        var messages = await sse.ReadToEndAsync(timeout.Token);

        Assert.Equal(["subscribed", "error"], messages.Select(m => m.GetProperty("type").GetString()));
        Assert.Equal("unavailable", messages[^1].GetProperty("code").GetString());
    }

    [Fact]
    public async Task WhoIsOnABoardCannotBeAskedSoEveryTransportRefusesABoardsMemberAsUnavailable()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var channel = $"board:{Guid.NewGuid()}";
        using var connection = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Realtime.GrpcAddress);
        var headers = new Metadata { { "authorization", $"Bearer {fixture.MemberToken}" } };

        var grpc = await Assert.ThrowsAsync<RpcException>(() => new Contracts.Realtime.V1.Realtime.RealtimeClient(connection)
            .SubscribeAsync(new SubscribeRequest { Channel = channel }, timeout.Token, headers));
        Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
        Assert.StartsWith("Board membership cannot be checked right now", grpc.Status.Detail);

        using var http = new HttpClient { BaseAddress = fixture.Realtime.HttpAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/sse?channel={channel}");
        request.Headers.Authorization = new("Bearer", fixture.MemberToken);
        using var sse = await http.SendAsync(request, timeout.Token);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, sse.StatusCode);
        Assert.Equal("unavailable", (await sse.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>(timeout.Token))!.Title);

        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        socket.Options.SetRequestHeader("Authorization", $"Bearer {fixture.MemberToken}");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(TextStreams.WebSocketUri(fixture.Realtime.HttpAddress, $"channel={channel}"), timeout.Token));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, socket.HttpStatusCode);
    }

    [Fact]
    public async Task ARealtimeThatNeverReadCrudsKeysAnswersAValidTokenUnavailableNotUnauthenticated()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        await using var started = await fixture.StartRealtimeReplicaAsync(healthy: false);
        using var connection = Grpc.Net.Client.GrpcChannel.ForAddress(started.GrpcAddress);

        var refused = await Assert.ThrowsAsync<RpcException>(() => new Contracts.Realtime.V1.Realtime.RealtimeClient(connection)
            .SubscribeAsync(new SubscribeRequest { Channel = "all" }, timeout.Token, new Metadata { { "authorization", $"Bearer {fixture.MemberToken}" } }));

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.StartsWith("Access tokens cannot be checked yet", refused.Status.Detail);
    }
}
