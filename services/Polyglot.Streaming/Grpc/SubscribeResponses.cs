using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Polyglot.Contracts.Realtime.V1;

namespace Polyglot.Streaming.Grpc;

/// <summary>
/// gRPC encodes each hub message once, not once per subscriber: every stream is handed the same
/// <see cref="SubscribeResponse"/> for a message, and <see cref="Marshaller"/>, bound in place
/// of the generated one, copies the bytes encoded for it when it was made. On the wire these
/// are ordinary SubscribeResponse messages; reflection still describes them.
/// </summary>
public static class SubscribeResponses
{
    private static readonly ConditionalWeakTable<HubMessage, SubscribeResponse> Shared = new();
    private static readonly ConditionalWeakTable<SubscribeResponse, byte[]> Encoded = new();

    public static readonly Marshaller<SubscribeResponse> Marshaller = new(Serialize, context => SubscribeResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>The response every gRPC subscriber of <paramref name="message"/> is sent (never mutate it).</summary>
    public static SubscribeResponse For(HubMessage message) => Shared.GetValue(message, static message =>
    {
        var response = message switch
        {
            HubEvent hubEvent => new SubscribeResponse { Event = hubEvent.Event },
            PresenceChange change => new SubscribeResponse
            {
                PresenceChanged = new PresenceChanged { Channel = change.Channel.Name, SubscriberId = change.SubscriberId, Joined = change.Joined, Count = change.Count },
            },
            PresenceSkip skipped => new SubscribeResponse
            {
                PresenceSkipped = new PresenceSkipped { Channel = skipped.Channel.Name, Count = skipped.Count, Skipped = skipped.Skipped },
            },
            _ => throw new InvalidOperationException($"Unknown hub message {message.GetType().Name}."),
        };
        Encoded.Add(response, response.ToByteArray());
        return response;
    });

    private static void Serialize(SubscribeResponse response, SerializationContext context)
    {
        if (Encoded.TryGetValue(response, out var bytes))
        {
            context.Complete(bytes);
            return;
        }
        // A response of one stream's own (its `subscribed` message): encoded as usual.
        context.SetPayloadLength(response.CalculateSize());
        response.WriteTo(context.GetBufferWriter());
        context.Complete();
    }
}
