using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Polyglot.Contracts.Realtime.V1;
using Polyglot.Streaming.Hub;
using V1 = Polyglot.Contracts.Realtime.V1;

namespace Polyglot.Streaming.Grpc;

/// <summary>The gRPC transport: one server stream per subscription, and presence queries.</summary>
public sealed class RealtimeService(ChannelHub hub) : V1.Realtime.RealtimeBase
{
    private static readonly WriteOptions BufferHint = new(WriteFlags.BufferHint);

    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        var badRequest = new BadRequest();
        var channel = ParseChannel(request.Channel, badRequest);
        if (request.HasAfterPosition && request.AfterPosition < 0)
        {
            Violation(badRequest, "after_position", SubscriptionRequest.PositionRule);
        }
        if (!SubscriptionRequest.IsValidSubscriberId(request.SubscriberId))
        {
            Violation(badRequest, "subscriber_id", SubscriptionRequest.SubscriberRule);
        }
        ThrowIfInvalid(badRequest);

        try
        {
            using var subscription = hub.Subscribe(new SubscriptionRequest(
                channel!.Value,
                request.HasAfterPosition ? request.AfterPosition : null,
                request.SubscriberId.Length == 0 ? null : request.SubscriberId,
                request.Presence,
                Transport.Grpc));
            await responseStream.WriteAsync(new SubscribeResponse
            {
                Subscribed = new Subscribed { Channel = subscription.Channel.Name, Position = subscription.StartPosition, SubscriberId = subscription.SubscriberId },
            });
            // A message with another ready behind it is buffered; the last of them flushes them all.
            await foreach (var (message, moreReady) in subscription.ReadAllAsync(context.CancellationToken))
            {
                responseStream.WriteOptions = moreReady ? BufferHint : null;
                await responseStream.WriteAsync(SubscribeResponses.For(message));
            }
        }
        catch (SubscriptionEndedException ex)
        {
            throw new RpcException(new global::Grpc.Core.Status(ex.Ending.Grpc, ex.Message));
        }
    }

    public override Task<V1.Presence> GetPresence(GetPresenceRequest request, ServerCallContext context)
    {
        var badRequest = new BadRequest();
        var channel = ParseChannel(request.Channel, badRequest);
        ThrowIfInvalid(badRequest);

        var presence = hub.GetPresence(channel!.Value);
        return Task.FromResult(new V1.Presence { Channel = presence.Channel.Name, Count = presence.Count, SubscriberIds = { presence.SubscriberIds } });
    }

    private static HubChannel? ParseChannel(string name, BadRequest badRequest)
    {
        if (HubChannel.TryParse(name, out var channel))
        {
            return channel;
        }
        Violation(badRequest, "channel", SubscriptionRequest.ChannelRule);
        return null;
    }

    private static void Violation(BadRequest badRequest, string field, string description) =>
        badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });

    private static void ThrowIfInvalid(BadRequest badRequest)
    {
        if (badRequest.FieldViolations.Count > 0)
        {
            throw new Google.Rpc.Status
            {
                Code = (int)Endings.Of(EndReason.BadRequest).Grpc,
                Message = $"Invalid request: {string.Join(", ", badRequest.FieldViolations.Select(v => v.Field))}.",
                Details = { Any.Pack(badRequest) },
            }.ToRpcException();
        }
    }
}
