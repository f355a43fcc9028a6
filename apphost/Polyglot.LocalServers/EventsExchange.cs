using System.Text.Json;
using Polyglot.Contracts.Events;
using RabbitMQ.Client;

namespace Polyglot.LocalServers;

/// <summary>
/// Publishes to the events exchange as a relay written in any language would: MassTransit's
/// JSON envelope (contracts/README.md) over plain AMQP, one message per batch of consecutive
/// events. The tests feed realtime this way, and so does the benchmark's own realtime.
/// </summary>
public static class EventsExchange
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task PublishAsync(IChannel channel, IReadOnlyList<IntegrationEventEnvelope> batch, CancellationToken ct = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId = Guid.NewGuid(),
            messageType = new[] { "urn:message:Polyglot.Contracts.Events:IntegrationEventBatch" },
            message = new IntegrationEventBatch(batch),
        }, Json);
        await channel.BasicPublishAsync(IntegrationEventBatch.ExchangeName, "", mandatory: false,
            new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true }, body, ct);
    }
}
