using Dapr.Client.Autogen.Grpc.v1;
using Polyglot.Contracts.Events;

namespace Polyglot.Realtime.Tests;

/// <summary>Reads the batches a sidecar was given, and makes one-event publishes of them.</summary>
internal static class DaprEvents
{
    public static List<IntegrationEventEnvelope> Of(IEnumerable<PublishEventRequest> published) =>
        [.. published.SelectMany(p => JsonSerializer.Deserialize<IntegrationEventBatch>(p.Data.Span, JsonSerializerOptions.Web)!.Events)];

    public static PublishEventRequest Single(IntegrationEventEnvelope envelope) => new()
    {
        PubsubName = IntegrationEventBatch.PubSubName,
        Topic = IntegrationEventBatch.ExchangeName,
        DataContentType = "application/json",
        Data = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(new IntegrationEventBatch([envelope]), JsonSerializerOptions.Web)),
    };
}
