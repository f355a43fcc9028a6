using MassTransit;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Events.V1;
using Polyglot.Realtime.Hub;

namespace Polyglot.Realtime.Bus;

/// <summary>Feeds the hub from the bus. Runs one message at a time so the hub sees positions in queue order.</summary>
public sealed class IntegrationEventConsumer(ChannelHub hub) : IConsumer<IntegrationEventEnvelope>
{
    public Task Consume(ConsumeContext<IntegrationEventEnvelope> context)
    {
        var envelope = context.Message;
        var integrationEvent = IntegrationEvent.Parser.ParseFrom(envelope.Payload);
        hub.Publish(new HubEvent(envelope.Position, HubChannel.ForBoard(envelope.BoardId), integrationEvent));
        return Task.CompletedTask;
    }
}
