using Polyglot.Contracts.Events.V1;

namespace Polyglot.Realtime.Hub;

/// <summary>One integration event as the hub fans it out: parsed once, shared by every subscriber (never mutate it).</summary>
public sealed record HubEvent(long Position, HubChannel Channel, IntegrationEvent Event)
{
    public static HubEvent From(IntegrationEvent integrationEvent) =>
        new(integrationEvent.Position, HubChannel.ForBoard(integrationEvent.BoardId), integrationEvent);
}
