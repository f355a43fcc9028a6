using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Rpc;

namespace Polyglot.Realtime.Tests;

/// <summary>Changes on crud reach the streams, routed by channel, in position order.</summary>
public abstract class DeliveryTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    private readonly Contracts.Realtime.V1.Realtime.RealtimeClient _realtime = fixture.RealtimeClient;
    private readonly Boards.BoardsClient _boards = fixture.Boards;
    private readonly Columns.ColumnsClient _columns = fixture.Columns;
    private readonly Cards.CardsClient _cards = fixture.Cards;

    [Fact]
    public async Task ChangesOnCrudReachAFirehoseSubscriberInPositionOrder()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var stream = _realtime.Subscribe(new SubscribeRequest { Channel = "all" }, cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(SubscribeResponse.MessageOneofCase.Subscribed, stream.ResponseStream.Current.MessageCase);

        var board = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Over the bus" });
        var column = await _columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var card = await _cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "Travelled" });

        var events = await Streams.ReadEventsAsync(stream.ResponseStream, 3, timeout.Token);
        Assert.Equal(
            [IntegrationEvent.PayloadOneofCase.BoardCreated, IntegrationEvent.PayloadOneofCase.ColumnCreated, IntegrationEvent.PayloadOneofCase.CardCreated],
            events.Select(e => e.PayloadCase));
        Assert.Equal(card, events[2].CardCreated.Card);
        Assert.True(events[0].Position < events[1].Position && events[1].Position < events[2].Position);
    }

    [Fact]
    public async Task ABoardSubscriberGetsThatBoardOnly()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        var mine = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Mine" });
        var other = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Other" });
        using var stream = _realtime.Subscribe(new SubscribeRequest { Channel = $"board:{mine.Id}" }, cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));

        await _boards.UpdateBoardAsync(new UpdateBoardRequest { Id = other.Id, Version = 1, Name = "Other 2" });
        await _boards.UpdateBoardAsync(new UpdateBoardRequest { Id = mine.Id, Version = 1, Name = "Mine 2" });

        // Mine's BoardCreated may still have been on its way when the stream opened; other's
        // update commits before mine's, so a misrouted event would arrive before "Mine 2".
        var received = new List<IntegrationEvent>();
        while (received.LastOrDefault()?.PayloadCase != IntegrationEvent.PayloadOneofCase.BoardUpdated)
        {
            received.AddRange(await Streams.ReadEventsAsync(stream.ResponseStream, 1, timeout.Token));
        }
        Assert.All(received, e => Assert.Equal(mine.Id, e.BoardId));
        Assert.Equal("Mine 2", received[^1].BoardUpdated.Board.Name);
    }

    [Theory]
    [InlineData("board:42")]
    [InlineData("boards")]
    [InlineData("")]
    public async Task AMalformedChannelIsInvalidArgument(string channel)
    {
        using var stream = _realtime.Subscribe(new SubscribeRequest { Channel = channel });

        var error = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("channel", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitDeliveryTests(SplitFixture fixture) : DeliveryTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithDeliveryTests(MonolithFixture fixture) : DeliveryTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
