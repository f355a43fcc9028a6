namespace Polyglot.Realtime.Tests;

internal static class Streams
{
    public static async Task<List<IntegrationEvent>> ReadEventsAsync(IAsyncStreamReader<SubscribeResponse> stream, int count, CancellationToken ct)
    {
        var events = new List<IntegrationEvent>();
        while (events.Count < count && await stream.MoveNext(ct))
        {
            Assert.Equal(SubscribeResponse.MessageOneofCase.Event, stream.Current.MessageCase);
            events.Add(stream.Current.Event);
        }
        return events;
    }

    /// <summary>Opens a subscription and waits for its `subscribed` message: from then on the stream is live.</summary>
    public static async Task<AsyncServerStreamingCall<SubscribeResponse>> SubscribeAsync(
        this Contracts.Realtime.V1.Realtime.RealtimeClient client, string channel, long? afterPosition, CancellationToken ct)
    {
        var request = new SubscribeRequest { Channel = channel };
        if (afterPosition is { } after)
        {
            request.AfterPosition = after;
        }
        return await client.SubscribeAsync(request, ct);
    }

    /// <summary>Subscribes, and reads the `subscribed` message.</summary>
    /// <param name="headers">Metadata to send, such as a token of the caller's own.</param>
    public static async Task<AsyncServerStreamingCall<SubscribeResponse>> SubscribeAsync(
        this Contracts.Realtime.V1.Realtime.RealtimeClient client, SubscribeRequest request, CancellationToken ct, Metadata? headers = null)
    {
        var stream = client.Subscribe(request, headers, cancellationToken: ct);
        Assert.True(await stream.ResponseStream.MoveNext(ct));
        Assert.Equal(SubscribeResponse.MessageOneofCase.Subscribed, stream.ResponseStream.Current.MessageCase);
        return stream;
    }
}
