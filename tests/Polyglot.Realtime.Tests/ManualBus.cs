using Google.Protobuf.WellKnownTypes;
using Polyglot.Contracts.Events;
using RabbitMQ.Client;

namespace Polyglot.Realtime.Tests;

/// <summary>What the tests publish to the events exchange themselves (<see cref="EventsExchange"/>), and what they ask RabbitMQ.</summary>
internal static class ManualBus
{
    /// <summary>A CardCreated event at <paramref name="position"/> whose title is <paramref name="titleLength"/> characters.</summary>
    public static IntegrationEventEnvelope CardCreated(long position, Guid boardId, int titleLength)
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
        return new IntegrationEventEnvelope(position, Guid.Parse(integrationEvent.EventId), boardId, nameof(CardCreated),
            integrationEvent.OccurredAt.ToDateTimeOffset(), integrationEvent.ToByteArray());
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
