namespace Polyglot.Contracts.Events;

/// <summary>
/// What the monolith publishes: consecutive committed events, in position order. One message
/// per batch keeps the order on the wire by construction (concurrent publishes may overtake
/// each other) and costs RabbitMQ one confirm, one disk write, per batch instead of per event.
/// </summary>
/// <remarks>Keep bus types in a namespace: MassTransit silently never consumes a message type in the global namespace.</remarks>
public sealed record IntegrationEventBatch(IReadOnlyList<IntegrationEventEnvelope> Events)
{
    /// <summary>The fan-out exchange every batch is published to; each consumer binds its own queue. Over Dapr, the topic.</summary>
    public const string ExchangeName = "polyglot.events";

    /// <summary>Over Dapr: the pub/sub component's name (its <c>metadata.name</c>).</summary>
    public const string PubSubName = "pubsub";
}
