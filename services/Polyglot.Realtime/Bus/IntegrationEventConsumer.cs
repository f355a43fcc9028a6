using MassTransit;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Events.V1;
using Polyglot.Realtime.Hub;

namespace Polyglot.Realtime.Bus;

/// <summary>
/// Feeds the hub from the bus, one message at a time so the hub sees positions in queue order.
/// A message that fails (crud unreachable while filling a gap) is retried with backoff; one
/// that can never be processed (an unreadable payload) goes straight to the error queue. Either
/// way nothing is lost to subscribers: the next event finds the gap and reads it from crud.
/// </summary>
public sealed class IntegrationEventConsumer(ChannelHub hub) : IConsumer<IntegrationEventEnvelope>
{
    public Task Consume(ConsumeContext<IntegrationEventEnvelope> context) =>
        hub.ReceiveAsync(HubEvent.From(IntegrationEvent.Parser.ParseFrom(context.Message.Payload)), context.CancellationToken);
}
