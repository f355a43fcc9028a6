using Google.Rpc;

namespace Polyglot.Realtime.Tests;

/// <summary>Presence: who is on a channel, and join/leave changes for those who ask, on every transport.</summary>
public abstract class PresenceTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    [Fact]
    public async Task AWebSocketWatcherSeesAnSseSubscriberComeAndGoAndGetPresenceCountsThemBoth()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        var channel = $"board:{Guid.NewGuid()}";
        using var watcher = await fixture.ConnectWebSocketAsync($"channel={channel}&subscriber=ann&presence=true", timeout.Token);
        Assert.Equal("ann", (await watcher.ReceiveJsonAsync(timeout.Token)).GetProperty("subscriberId").GetString());

        using (var http = fixture.StreamingHttp())
        await using (var sse = await SseStream.OpenAsync(http, $"channel={channel}&subscriber=bob&presence=true", timeout.Token))
        {
            Assert.Equal("bob", (await sse.ReadAsync(timeout.Token)).Data.GetProperty("subscriberId").GetString());
            var joined = await watcher.ReceiveJsonAsync(timeout.Token);
            var presence = await fixture.RealtimeClient.GetPresenceAsync(new GetPresenceRequest { Channel = channel }, cancellationToken: timeout.Token);

            Assert.Equal(("presence", "bob", true, 2), (joined.GetProperty("type").GetString(), joined.GetProperty("subscriberId").GetString(), joined.GetProperty("joined").GetBoolean(), joined.GetProperty("count").GetInt32()));
            Assert.Equal(["ann", "bob"], presence.SubscriberIds);
        }

        var left = await watcher.ReceiveJsonAsync(timeout.Token);
        Assert.Equal(("bob", false, 1), (left.GetProperty("subscriberId").GetString(), left.GetProperty("joined").GetBoolean(), left.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task GetPresenceListsTheChannelsSubscribersAndAWatcherSeesThemComeAndGo()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        var channel = $"board:{Guid.NewGuid()}";
        var client = fixture.RealtimeClient;
        using var watcher = client.Subscribe(new SubscribeRequest { Channel = channel, SubscriberId = "ann", Presence = true }, cancellationToken: timeout.Token);
        Assert.True(await watcher.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal("ann", watcher.ResponseStream.Current.Subscribed.SubscriberId);

        using (var bob = client.Subscribe(new SubscribeRequest { Channel = channel, SubscriberId = "bob" }, cancellationToken: timeout.Token))
        {
            Assert.True(await bob.ResponseStream.MoveNext(timeout.Token));
            var presence = await client.GetPresenceAsync(new GetPresenceRequest { Channel = channel });
            Assert.Equal(2, presence.Count);
            Assert.Equal(["ann", "bob"], presence.SubscriberIds);
        }

        var changes = new List<PresenceChanged>();
        while (changes.Count < 2 && await watcher.ResponseStream.MoveNext(timeout.Token))
        {
            changes.Add(watcher.ResponseStream.Current.PresenceChanged);
        }
        Assert.Equal([("bob", true, 2), ("bob", false, 1)], changes.Select(c => (c.SubscriberId, c.Joined, c.Count)));
    }

    [Fact]
    public async Task StatsCountTheSubscriptionsHeldForTheBenchmark()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var http = fixture.StreamingHttp();
        // Streams of earlier tests may still be let go of by the server; start from none held.
        await Wait.UntilAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>("/stats", timeout.Token)).GetProperty("subscriptions").GetInt32() == 0,
            TimeSpan.FromSeconds(10), "the streams of earlier tests to end");

        using var one = await fixture.RealtimeClient.SubscribeAsync("all", null, timeout.Token);
        using var two = await fixture.RealtimeClient.SubscribeAsync($"board:{Guid.NewGuid()}", null, timeout.Token);
        var after = await http.GetFromJsonAsync<JsonElement>("/stats?collect=true", timeout.Token);

        Assert.Equal(2, after.GetProperty("subscriptions").GetInt32());
        Assert.True(after.GetProperty("gcHeapBytes").GetInt64() > 0);
        Assert.True(after.GetProperty("cpuSeconds").GetDouble() > 0);
    }

    [Theory]
    [InlineData("board:", "", "channel")]
    [InlineData("all", "bad\nid", "subscriber_id")]
    public async Task BadSubscriptionsAreInvalidArgumentOnTheField(string channel, string subscriberId, string field)
    {
        using var stream = fixture.RealtimeClient.Subscribe(new SubscribeRequest { Channel = channel, SubscriberId = subscriberId });

        var error = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitPresenceTests(SplitFixture fixture) : PresenceTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithPresenceTests(MonolithFixture fixture) : PresenceTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
