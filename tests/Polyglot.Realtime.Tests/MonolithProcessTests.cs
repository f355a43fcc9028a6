namespace Polyglot.Realtime.Tests;

/// <summary>crud as the monolith's own process: it drains like realtime, and cuts off a stalled reader like realtime.</summary>
[Collection(MonolithCollection.Name)]
public sealed class MonolithProcessTests(MonolithProcessFixture fixture) : StreamingProcessTests<MonolithProcessFixture>(fixture), IClassFixture<MonolithProcessFixture>
{
    [Fact]
    public async Task AStalledGrpcReaderIsCutOffWhileAReaderThatKeepsUpGetsEveryCard()
    {
        // A card with a 2,000-character description is a ~2 KB event: the stalled stream's
        // HTTP/2 window (64 KB) and Kestrel's buffer hold a few dozen, its queue of 8 the next ones.
        const int Cards = 150;
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(90));
        await using var crud = await Fixture.StartStreamingAsync(new() { ["Hub__SubscriberQueueCapacity"] = "8" });
        using var channel = LocalAuth.Shared.CrudChannel(crud);
        var column = await new Columns.ColumnsClient(channel).CreateColumnAsync(new CreateColumnRequest
        {
            BoardId = (await new Boards.BoardsClient(channel).CreateBoardAsync(new CreateBoardRequest { Name = "Stalled" })).Id,
            Name = "Cards",
        });
        using var healthy = await SubscribeWhenReadyAsync(new Contracts.Realtime.V1.Realtime.RealtimeClient(channel), timeout.Token);
        using var stalledChannel = SignedIn(crud); // a connection of its own
        using var stalled = await new Contracts.Realtime.V1.Realtime.RealtimeClient(stalledChannel).SubscribeAsync("all", null, timeout.Token);
        using var http = Http(crud);
        Assert.Equal(2, (await StatsAsync(http, timeout.Token)).Subscriptions);

        var cards = new Cards.CardsClient(channel);
        var received = new List<string>();
        for (var i = 0; i < Cards; i++)
        {
            await cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = $"Card {i}", Description = new string('d', 2000) });
            // The reader that keeps up takes each card before the next is made: never near its
            // queue's end. (The board's and column's events may reach it first.)
            Contracts.Events.V1.IntegrationEvent next;
            do
            {
                next = (await Streams.ReadEventsAsync(healthy.ResponseStream, 1, timeout.Token))[0];
            }
            while (next.CardCreated is null);
            received.Add(next.CardCreated.Card.Title);
        }

        await Wait.UntilAsync(async () => (await StatsAsync(http, timeout.Token)).Subscriptions == 1, TimeSpan.FromSeconds(30), "the stalled reader to be cut off");
        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stalled.ResponseStream.MoveNext(timeout.Token))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        Assert.Equal(Enumerable.Range(0, Cards).Select(i => $"Card {i}"), received);
    }
}
