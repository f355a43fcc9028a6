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
    [Fact]
    public async Task AMissingPositionIsReadFromCrudAndAnUnreadableMessageGoesToTheErrorQueue()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var stream = await fixture.RealtimeClient.SubscribeAsync("all", null, timeout.Token);
        for (var i = 1; i <= 5; i++)
        {
            await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"Board {i}" });
        }
        var rows = await fixture.InCrudAsync(db => db.Outbox.AsNoTracking().OrderBy(m => m.Position).ToListAsync());
        Assert.Equal(5, rows.Count);

        await using var connection = await new ConnectionFactory { Uri = new Uri(fixture.Bus) }.CreateConnectionAsync(timeout.Token);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
        await PublishAsync(channel, rows[0]);                                   // 1
        await PublishAsync(channel, rows[2]);                                   // 3: 2 lost on the way
        await PublishAsync(channel, rows[3], "not protobuf"u8.ToArray());       // 4, unreadable
        await PublishAsync(channel, rows[4]);                                   // 5

        var events = await Streams.ReadEventsAsync(stream.ResponseStream, 5, timeout.Token);
        Assert.Equal(rows.Select(r => r.Position), events.Select(e => e.Position));
        Assert.Equal(rows.Select(r => r.EventId.ToString()), events.Select(e => e.EventId));
        await Wait.UntilAsync(async () => await ManualBus.MessagesInAsync(connection, $"{fixture.QueueName}_error") == 1, TimeSpan.FromSeconds(10), "the unreadable message in the error queue");
    }

    /// <summary>One outbox row as crud's relay would publish it, with its payload replaced when given.</summary>
    private static Task PublishAsync(IChannel channel, OutboxMessage row, byte[]? payload = null) =>
        EventsExchange.PublishAsync(channel, [new IntegrationEventEnvelope(row.Position, row.EventId, row.BoardId, row.Type, row.OccurredAt, payload ?? row.Payload)]);
}
