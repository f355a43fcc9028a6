using Polyglot.Contracts.Events;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// One committed integration event. The outbox is also the event log that subscribers
/// backfill from, so rows stay after they are published; the relay tracks what it has sent
/// with the <see cref="OutboxCursor.Published"/> cursor instead of a per-row flag.
/// </summary>
public sealed class OutboxMessage
{
    public long Position { get; set; }
    public Guid EventId { get; set; }
    public Guid BoardId { get; set; }
    public required string Type { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    /// <summary>The protobuf encoding of the whole <c>IntegrationEvent</c>, position included.</summary>
    public required byte[] Payload { get; set; }
    /// <summary>W3C traceparent of the request that made the change, so the publish joins its trace.</summary>
    public string? TraceParent { get; set; }

    /// <summary>Consecutive messages as the bus carries them, whichever bus it is.</summary>
    public static IntegrationEventBatch ToBatch(IReadOnlyList<OutboxMessage> batch) =>
        new([.. batch.Select(m => new IntegrationEventEnvelope(m.Position, m.EventId, m.BoardId, m.Type, m.OccurredAt, m.Payload))]);
}

/// <summary>
/// A named position. <see cref="Written"/> hands out positions: incrementing it takes its row
/// lock until commit, so positions follow commit order and a rollback leaves no gap.
/// <see cref="Published"/> is the last position the bus confirmed.
/// </summary>
public sealed class OutboxCursor
{
    public const string Written = "written";
    public const string Published = "published";

    public required string Name { get; set; }
    public long Position { get; set; }
}
