namespace Polyglot.Realtime.Tests;

/// <summary>Its own crud and realtime: pruning crud's log would spoil the other resume tests.</summary>
public abstract class HistoryLostTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    [Fact]
    public async Task WhenCrudNoLongerHoldsTheMissedEventsEveryTransportSaysHistoryIsLost()
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Pruned" });
        await fixture.RenameAsync(board, "Later", 1);
        // Prune crud's log up to the board's last event, as a retention job would, while a new
        // realtime (whose history is empty) takes over.
        long pruned = 0;
        await fixture.RestartStreamingAsync(meanwhile: async () => pruned = await fixture.InCrudAsync(async db =>
        {
            var upTo = await db.Outbox.MaxAsync(m => m.Position);
            await db.Outbox.Where(m => m.Position <= upTo).ExecuteDeleteAsync();
            return upTo;
        }));

        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var resumed = fixture.RealtimeClient.Subscribe(new SubscribeRequest { Channel = "all", AfterPosition = 0 }, cancellationToken: timeout.Token);
        Assert.True(await resumed.ResponseStream.MoveNext(timeout.Token)); // subscribed
        var error = await Assert.ThrowsAsync<RpcException>(() => resumed.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Contains($"after position {pruned}", error.Status.Detail);

        using var socket = await fixture.ConnectWebSocketAsync("channel=all&after=0", timeout.Token);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());
        Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)4410, await socket.ReadUntilCloseAsync(timeout.Token));

        using var http = fixture.StreamingHttp();
        await using var sse = await SseStream.OpenAsync(http, "channel=all&after=0", timeout.Token);
        var messages = await sse.ReadToEndAsync(timeout.Token);
        Assert.Equal(["subscribed", "error"], messages.Select(m => m.GetProperty("type").GetString()));
        Assert.Equal("history_lost", messages[^1].GetProperty("code").GetString());
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitHistoryLostTests(SplitFixture fixture) : HistoryLostTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithHistoryLostTests(MonolithFixture fixture) : HistoryLostTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
