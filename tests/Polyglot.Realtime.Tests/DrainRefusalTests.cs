namespace Polyglot.Realtime.Tests;

/// <summary>A hub that is draining refuses new subscribers on every transport, saying so: its own fixture, which it drains.</summary>
public abstract class DrainRefusalTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    [Fact]
    public async Task WhileDrainingEveryTransportRefusesANewSubscriberAsUnavailable()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        fixture.StreamingServices.GetRequiredService<ChannelHub>().Drain();

        using var grpc = fixture.RealtimeClient.Subscribe(new SubscribeRequest { Channel = "all" }, cancellationToken: timeout.Token);
        var refused = await Assert.ThrowsAsync<RpcException>(() => grpc.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("shutting down", refused.Status.Detail);

        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        socket.Options.SetRequestHeader("Authorization", $"Bearer {await fixture.TokenAsync()}");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(TextStreams.WebSocketUri(fixture.StreamingHttpAddress, "channel=all"), timeout.Token));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, socket.HttpStatusCode);

        using var http = fixture.StreamingHttp();
        using var sse = await http.GetAsync("/sse?channel=all", timeout.Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, sse.StatusCode);
        Assert.Equal("draining", (await sse.Content.ReadFromJsonAsync<ProblemDetails>(timeout.Token))!.Title);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitDrainRefusalTests(SplitFixture fixture) : DrainRefusalTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithDrainRefusalTests(MonolithFixture fixture) : DrainRefusalTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
