using MassTransit;

namespace Polyglot.Crud.Outbox;

/// <summary>The split on RabbitMQ: one bus message per batch (order on the wire by construction), returning once RabbitMQ confirmed it.</summary>
public sealed class BusDestination(IBus bus) : IOutboxDestination
{
    public Task DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) => bus.Publish(OutboxMessage.ToBatch(batch), ct);
}
