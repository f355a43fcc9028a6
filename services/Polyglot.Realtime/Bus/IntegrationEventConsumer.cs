namespace Polyglot.Realtime.Bus;

/// <summary>
/// Feeds the hub from the bus, one batch at a time and in order, so the hub sees positions in
/// commit order. A batch that fails (crud unreachable while filling a gap) is retried with
/// backoff, its events already taken dropped as duplicates; one that can never be processed (an
/// unreadable payload) goes straight to the error queue. Either way nothing is lost to
/// subscribers: the next event, or the hub's head check, finds the gap and reads it from crud.
/// </summary>
public sealed class IntegrationEventConsumer(ChannelHub hub) : IConsumer<IntegrationEventBatch>
{
    public async Task Consume(ConsumeContext<IntegrationEventBatch> context)
    {
        foreach (var hubEvent in HubEvent.From(context.Message))
        {
            await hub.ReceiveAsync(hubEvent, context.CancellationToken);
        }
    }
}
