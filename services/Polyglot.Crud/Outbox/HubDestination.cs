namespace Polyglot.Crud.Outbox;

/// <summary>The monolith: the batch goes straight to the hub this process hosts, in position order, through the same ingest path the split's bus consumer uses.</summary>
public sealed class HubDestination(ChannelHub hub) : IOutboxDestination
{
    public async Task DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct)
    {
        foreach (var message in batch)
        {
            await hub.ReceiveAsync(HubEvent.From(IntegrationEvent.Parser.ParseFrom(message.Payload)), ct);
        }
    }
}
