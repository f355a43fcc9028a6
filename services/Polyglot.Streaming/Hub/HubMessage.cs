using System.Diagnostics;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Events.V1;

namespace Polyglot.Streaming.Hub;

/// <summary>What a subscriber's queue carries: events, and presence changes for those who asked.</summary>
public abstract class HubMessage
{
    private byte[]? _jsonMessage;

    /// <summary>
    /// The text transports' message (<see cref="JsonMessages"/>), encoded on first use and then
    /// shared by every WebSocket and SSE subscriber: once per message, not per subscriber. A race
    /// may encode it twice; both results are equal.
    /// </summary>
    public ReadOnlyMemory<byte> JsonMessage => _jsonMessage ??= EncodeJson();

    private protected abstract byte[] EncodeJson();
}

/// <summary>One integration event as the hub fans it out: parsed once, shared by every subscriber (never mutate it).</summary>
public sealed class HubEvent(long position, HubChannel channel, IntegrationEvent integrationEvent) : HubMessage
{
    public long Position { get; } = position;

    public HubChannel Channel { get; } = channel;

    public IntegrationEvent Event { get; } = integrationEvent;

    /// <summary>When this process received it (Stopwatch ticks): where its delivery time starts.</summary>
    public long ReceivedAt { get; } = Stopwatch.GetTimestamp();

    public static HubEvent From(IntegrationEvent integrationEvent) =>
        new(integrationEvent.Position, HubChannel.ForBoard(integrationEvent.BoardId), integrationEvent);

    /// <summary>
    /// The event a bus message carries. One that can never be read (missing, without a payload,
    /// or not an IntegrationEvent) throws an ArgumentException or InvalidProtocolBufferException:
    /// retrying it cannot help.
    /// </summary>
    public static HubEvent From(IntegrationEventEnvelope? envelope) =>
        From(IntegrationEvent.Parser.ParseFrom((envelope ?? throw new ArgumentException("An event of the batch is null.", nameof(envelope))).Payload
            ?? throw new ArgumentException($"Event {envelope.Position} has no payload.", nameof(envelope))));

    /// <summary>The events a bus batch carries; a batch without its <c>events</c> list (missing, or null) is as unreadable as a broken one (<see cref="From(IntegrationEventEnvelope?)"/>). An empty list is read as nothing to do.</summary>
    public static List<HubEvent> From(IntegrationEventBatch? batch) =>
        [.. (batch?.Events ?? throw new ArgumentException("The batch has no events.", nameof(batch))).Select(From)];

    private protected override byte[] EncodeJson() => JsonMessages.Event(this);
}

/// <summary>A subscriber joined or left a channel; <see cref="Count"/> is the channel's subscriptions after it.</summary>
public sealed class PresenceChange(HubChannel channel, string subscriberId, bool joined, int count) : HubMessage
{
    public HubChannel Channel { get; } = channel;

    public string SubscriberId { get; } = subscriberId;

    public bool Joined { get; } = joined;

    public int Count { get; } = count;

    private protected override byte[] EncodeJson() => JsonMessages.Presence(this);
}

/// <summary>
/// Stands for presence changes left out of one watcher's stream (<see cref="Subscription"/> queues
/// one only while its queue is less than half full): <see cref="Skipped"/> of them, the last
/// leaving <see cref="Count"/> subscriptions on the channel.
/// </summary>
public sealed class PresenceSkip(HubChannel channel, int count, int skipped) : HubMessage
{
    public HubChannel Channel { get; } = channel;

    public int Count { get; } = count;

    public int Skipped { get; } = skipped;

    private protected override byte[] EncodeJson() => JsonMessages.PresenceSkip(this);
}

/// <summary>Who is on a channel: <paramref name="Count"/> subscriptions held by the distinct <paramref name="SubscriberIds"/>.</summary>
public sealed record Presence(HubChannel Channel, int Count, IReadOnlyList<string> SubscriberIds);

/// <summary>
/// Written to an idle SSE stream now and then (<see cref="Sse.SseHeartbeats"/>) as a comment line:
/// a write is how a peer that vanished is found, and it keeps proxies from closing a quiet stream.
/// </summary>
public sealed class Heartbeat : HubMessage
{
    public static readonly Heartbeat Instance = new();

    private Heartbeat()
    {
    }

    private protected override byte[] EncodeJson() => throw new NotSupportedException("A heartbeat is an SSE comment, not a message.");
}
