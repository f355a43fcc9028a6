using MassTransit;
using Polyglot.Contracts.Events;

namespace Polyglot.Crud.Outbox;

/// <summary>The split: one bus message per batch (order on the wire by construction), returning once RabbitMQ confirmed it.</summary>
public sealed class BusDestination(IBus bus) : IOutboxDestination
{
    public Task DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        bus.Publish(
            new IntegrationEventBatch([.. batch.Select(m => new IntegrationEventEnvelope(m.Position, m.EventId, m.BoardId, m.Type, m.OccurredAt, m.Payload))]),
            ct);
}
