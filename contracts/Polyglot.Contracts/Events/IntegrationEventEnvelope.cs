namespace Polyglot.Contracts.Events;

/// <summary>
/// One integration event on the bus. The header fields are plain JSON so any consumer can
/// route, order and de-duplicate without protobuf; <see cref="Payload"/> is the protobuf
/// encoding of <c>polyglot.events.v1.IntegrationEvent</c> (base64 in JSON), the same bytes the
/// event log and the realtime streams carry. See contracts/README.md for the JSON shape.
/// </summary>
public sealed record IntegrationEventEnvelope(
    long Position,
    Guid EventId,
    Guid BoardId,
    string Type,
    DateTimeOffset OccurredAt,
    byte[] Payload);
