namespace Polyglot.Realtime.Tests;

/// <summary>Quiet streams are kept alive: dead or hung WebSocket peers are found by pings they do not answer, idle SSE streams written to.</summary>
public sealed class KeepAliveTests(QuickKeepAliveMonolithFixture fixture) : IClassFixture<QuickKeepAliveMonolithFixture>
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

    [Fact]
    public async Task AnIdleSseStreamGetsACommentLineEachHeartbeatAndEventsStillFollow()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Quiet" }, cancellationToken: timeout.Token);
        using var http = fixture.StreamingHttp();
        using var response = await http.GetAsync($"/sse?channel=board:{board.Id}", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var stream = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        Assert.StartsWith("id: ", await stream.ReadLineAsync(timeout.Token));
        Assert.Contains("\"subscribed\"", await stream.ReadLineAsync(timeout.Token));
        Assert.Equal("", await stream.ReadLineAsync(timeout.Token));

        // Nothing more happens on the board (its creation may yet arrive): a comment comes, written by the server unasked.
        while (await stream.ReadLineAsync(timeout.Token) != ":")
        {
        }
        Assert.Equal("", await stream.ReadLineAsync(timeout.Token));

        await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = 1, Name = "Not so quiet" }, cancellationToken: timeout.Token);
        var (before, line) = ("", "");
        while (!line.Contains("Not so quiet", StringComparison.Ordinal))
        {
            (before, line) = (line, await stream.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("The stream ended."));
        }
        Assert.StartsWith("id: ", before);
    }

    private async Task<int> CountAsync(string channel, CancellationToken ct) =>
        (await fixture.RealtimeClient.GetPresenceAsync(new GetPresenceRequest { Channel = channel }, cancellationToken: ct)).Count;
}
