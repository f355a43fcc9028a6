using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Events.V1;
using RabbitMQ.Client;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// Publishes to the events exchange as a non-.NET relay would: MassTransit's documented JSON
/// envelope (contracts/README.md) over plain AMQP, one message per batch of events.
/// </summary>
internal static class ManualBus
{
    public static async Task PublishAsync(IChannel channel, IEnumerable<(long Position, Guid BoardId, byte[] Payload)> batch)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { "urn:message:Polyglot.Contracts.Events:IntegrationEventBatch" },
            message = new
            {
                events = batch.Select(e => new { position = e.Position, eventId = Guid.NewGuid(), boardId = e.BoardId, type = "CardCreated", occurredAt = DateTimeOffset.UtcNow, payload = e.Payload }),
            },
        });
        await channel.BasicPublishAsync(IntegrationEventBatch.ExchangeName, "", mandatory: false,
            new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true }, body);
    }

    /// <summary>A CardCreated event at <paramref name="position"/> whose title is <paramref name="titleLength"/> characters.</summary>
    public static (long Position, Guid BoardId, byte[] Payload) CardCreated(long position, Guid boardId, int titleLength)
    {
        var integrationEvent = new IntegrationEvent
        {
            Position = position,
            EventId = Guid.NewGuid().ToString(),
            BoardId = boardId.ToString(),
            OccurredAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            CardCreated = new CardCreated
            {
                Card = new Contracts.Boards.V1.Card { Id = Guid.NewGuid().ToString(), BoardId = boardId.ToString(), Title = new string('x', titleLength) },
            },
        };
        return (position, boardId, integrationEvent.ToByteArray());
    }

    public static async Task<uint> MessagesInAsync(IConnection connection, string queue)
    {
        // A passive declare of a missing queue closes its channel: use one per question.
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // not there yet
        }
    }
}
