namespace Polyglot.Contracts.Events;

/// <summary>
/// The bus form of one integration event. The header fields are plain JSON so any consumer can
/// route, order and de-duplicate without protobuf; <see cref="Payload"/> is the protobuf
/// encoding of <c>polyglot.events.v1.IntegrationEvent</c> (base64 in JSON), the same bytes the
/// event log and the realtime streams carry. See contracts/README.md for the JSON shape.
/// </summary>
/// <remarks>Keep this type in a namespace: MassTransit silently never consumes a message type in the global namespace.</remarks>
public sealed record IntegrationEventEnvelope(
    long Position,
    Guid EventId,
    Guid BoardId,
    string Type,
    DateTimeOffset OccurredAt,
    byte[] Payload)
{
    /// <summary>The fan-out exchange every envelope is published to; each consumer binds its own queue.</summary>
    public const string ExchangeName = "polyglot.events";
}
