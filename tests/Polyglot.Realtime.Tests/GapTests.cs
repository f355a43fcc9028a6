using Polyglot.Contracts.Events;
using Polyglot.Crud.Outbox;
using RabbitMQ.Client;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// What the bus can do wrong — lose a message, deliver one broken — and realtime still gives
/// subscribers every position once, in order, from crud's log. The messages are written as a
/// non-.NET publisher would: MassTransit's documented JSON envelope over plain AMQP.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class GapTests(ManualBusFixture fixture) : IClassFixture<ManualBusFixture>
{
    [Theory]
    [InlineData("a payload that is not protobuf")]
    [InlineData("no payload")] // as a publisher in another language might send
    [InlineData("no events")] // a batch whose events are null
    public async Task AMissingPositionIsReadFromCrudAndAnUnreadableMessageGoesToTheErrorQueue(string unreadable)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var stream = await fixture.RealtimeClient.SubscribeAsync("all", null, timeout.Token);
        for (var i = 1; i <= 5; i++)
        {
            await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"Board {i}" });
        }
        var rows = await fixture.InCrudAsync(db => db.Outbox.AsNoTracking().OrderByDescending(m => m.Position).Take(5).OrderBy(m => m.Position).ToListAsync());

        await using var connection = await new ConnectionFactory { Uri = new Uri(fixture.Bus) }.CreateConnectionAsync(timeout.Token);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
        var errors = await ManualBus.MessagesInAsync(connection, $"{fixture.QueueName}_error");
        await PublishAsync(channel, rows[0], rows[0].Payload);                  // 1
        await PublishAsync(channel, rows[2], rows[2].Payload);                  // 3: 2 lost on the way
        if (unreadable == "no events")
        {
            await EventsExchange.PublishAsync(channel, null!, timeout.Token);                // 4 not in it: unreadable
        }
        else
        {
            await PublishAsync(channel, rows[3], unreadable == "no payload" ? null : "not protobuf"u8.ToArray()); // 4, unreadable
        }
        await PublishAsync(channel, rows[4], rows[4].Payload);                  // 5

        // Within the timeout: a message that can never be read is not retried (for over a minute) ahead of the next.
        var events = await Streams.ReadEventsAsync(stream.ResponseStream, 5, timeout.Token);
        Assert.Equal(rows.Select(r => r.Position), events.Select(e => e.Position));
        Assert.Equal(rows.Select(r => r.EventId.ToString()), events.Select(e => e.EventId));
        await Wait.UntilAsync(async () => await ManualBus.MessagesInAsync(connection, $"{fixture.QueueName}_error") == errors + 1, TimeSpan.FromSeconds(10), "the unreadable message in the error queue");
    }

    [Fact]
    public async Task ALossAtTheEndOfTheStreamWhichNoLaterEventRevealsIsReadFromCrudAfterAHeadCheck()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var stream = await fixture.RealtimeClient.SubscribeAsync("all", null, timeout.Token);
        await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Told" });
        await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Lost on the way, and the last" });
        var rows = await fixture.InCrudAsync(db => db.Outbox.AsNoTracking().OrderByDescending(m => m.Position).Take(2).OrderBy(m => m.Position).ToListAsync());

        await using var connection = await new ConnectionFactory { Uri = new Uri(fixture.Bus) }.CreateConnectionAsync(timeout.Token);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
        await PublishAsync(channel, rows[0], rows[0].Payload);
        // And the last one too, as far as crud knows (the bus confirmed it, then lost it): crud's relay is the test here.
        await fixture.InCrudAsync(db => db.OutboxCursors.Where(c => c.Name == OutboxCursor.Published)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, rows[1].Position)));

        // Up to the last: the stream started at realtime's head, which earlier tests may have left behind crud's.
        var events = new List<IntegrationEvent>();
        while (events.LastOrDefault()?.Position is not { } last || last < rows[1].Position)
        {
            events.AddRange(await Streams.ReadEventsAsync(stream.ResponseStream, 1, timeout.Token));
        }
        Assert.Equal(rows.Select(r => r.EventId.ToString()), events.TakeLast(2).Select(e => e.EventId));
    }

    /// <summary>One outbox row as crud's relay would publish it, with the payload given.</summary>
    private static Task PublishAsync(IChannel channel, OutboxMessage row, byte[]? payload) =>
        EventsExchange.PublishAsync(channel, [new IntegrationEventEnvelope(row.Position, row.EventId, row.BoardId, row.Type, row.OccurredAt, payload!)]);
}
