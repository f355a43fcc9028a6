namespace Polyglot.Realtime.Tests;

/// <summary>Dead or hung peers are found by pings they do not answer, not held for as long as TCP allows.</summary>
public sealed class KeepAliveTests(QuickPingMonolithFixture fixture) : IClassFixture<QuickPingMonolithFixture>
{
    [Fact]
    public async Task AWebSocketSubscriberThatAnswersNoPingIsDroppedAndLeavesPresenceWhileOneThatAnswersStays()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Pinged" }, cancellationToken: timeout.Token);
        var channel = $"board:{board.Id}";
        using var hung = await fixture.ConnectWebSocketAsync($"channel={channel}&subscriber=hung", timeout.Token);
        using var answering = await fixture.ConnectWebSocketAsync($"channel={channel}&subscriber=answering", timeout.Token);
        Assert.Equal("subscribed", (await hung.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());
        Assert.Equal("subscribed", (await answering.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());
        Assert.Equal(2, await CountAsync(channel, timeout.Token));

        // The hung one never reads again, so its pings go unanswered (a client answers them as it
        // reads); the other reads all along, answering each.
        var reading = answering.ReadUntilCloseAsync(timeout.Token);

        await Wait.UntilAsync(async () => await CountAsync(channel, timeout.Token) == 1, TimeSpan.FromSeconds(20), "the hung subscriber to be dropped");
        var presence = await fixture.RealtimeClient.GetPresenceAsync(new GetPresenceRequest { Channel = channel }, cancellationToken: timeout.Token);
        Assert.Equal(["answering"], presence.SubscriberIds);
        Assert.False(reading.IsCompleted, "The subscriber that answers its pings was dropped too.");
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, answering.State);
    }

    private async Task<int> CountAsync(string channel, CancellationToken ct) =>
        (await fixture.RealtimeClient.GetPresenceAsync(new GetPresenceRequest { Channel = channel }, cancellationToken: ct)).Count;
}
