using Dapr.Client;
using Polyglot.Contracts.Events;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// The split on Dapr: one publish per batch to pub/sub <c>pubsub</c>, topic <c>polyglot.events</c>,
/// through this process's sidecar, which wraps it in a CloudEvent; returns once the sidecar
/// answered OK (the broker took it). A sidecar that is down fails the round, and the relay retries.
/// </summary>
public sealed class DaprDestination(DaprClient dapr) : IOutboxDestination
{
    public Task DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        dapr.PublishEventAsync(IntegrationEventBatch.PubSubName, IntegrationEventBatch.ExchangeName, OutboxMessage.ToBatch(batch), ct);
}
