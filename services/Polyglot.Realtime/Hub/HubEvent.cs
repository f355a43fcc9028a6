using Polyglot.Contracts.Events.V1;

namespace Polyglot.Realtime.Hub;

/// <summary>One integration event as the hub fans it out: parsed once, shared by every subscriber (never mutate it).</summary>
public sealed class HubEvent(long position, HubChannel channel, IntegrationEvent integrationEvent)
{
    private byte[]? _jsonMessage;

    public long Position { get; } = position;

    public HubChannel Channel { get; } = channel;

    public IntegrationEvent Event { get; } = integrationEvent;

    /// <summary>
    /// The text transports' message for this event (<see cref="JsonMessages.Event"/>), encoded on
    /// first use and then shared by every WebSocket and SSE subscriber: once per event, not per
    /// subscriber. A race may encode it twice; both results are equal.
    /// </summary>
    public ReadOnlyMemory<byte> JsonMessage => _jsonMessage ??= JsonMessages.Event(this);

    public static HubEvent From(IntegrationEvent integrationEvent) =>
        new(integrationEvent.Position, HubChannel.ForBoard(integrationEvent.BoardId), integrationEvent);
}
