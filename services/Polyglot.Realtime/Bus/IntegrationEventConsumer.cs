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
        hub.Publish(HubEvent.From(IntegrationEvent.Parser.ParseFrom(context.Message.Payload)));
        return Task.CompletedTask;
    }
}
