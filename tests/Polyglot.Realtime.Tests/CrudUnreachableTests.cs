using System.Net.WebSockets;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// crud down while a subscriber needs a catch-up from its log: every transport says "unavailable,
/// resume later" in its own words — never crud's status or message.
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
    public async Task OverSseTheStreamEndsWithAnUnavailableError()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var http = fixture.StreamingHttp();
        await using var sse = await SseStream.OpenAsync(http, "channel=all&after=0", timeout.Token);

        var messages = await sse.ReadToEndAsync(timeout.Token);

        Assert.Equal(["subscribed", "error"], messages.Select(m => m.GetProperty("type").GetString()));
        Assert.Equal("unavailable", messages[^1].GetProperty("code").GetString());
    }
}
