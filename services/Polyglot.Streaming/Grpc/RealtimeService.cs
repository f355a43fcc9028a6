using System.Security.Claims;
using Google.Rpc;
using Grpc.Core;
using Polyglot.Contracts.Realtime.V1;
using V1 = Polyglot.Contracts.Realtime.V1;

namespace Polyglot.Streaming.Grpc;

/// <summary>
/// The gRPC transport: one server stream per subscription, and presence queries. Both need an
/// access token in the call's <c>authorization</c> metadata that allows the channel
/// (<see cref="SubscriberTokens"/>).
/// </summary>
public sealed class RealtimeService(ChannelHub hub, SubscriberTokens tokens) : V1.Realtime.RealtimeBase
{
    private static readonly WriteOptions BufferHint = new(WriteFlags.BufferHint);

    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        var user = await AuthenticateAsync(context);
        var badRequest = new BadRequest();
        var channel = ParseChannel(request.Channel, badRequest);
        if (request.HasAfterPosition && request.AfterPosition < 0)
        {
            badRequest.Add("after_position", SubscriptionRequest.PositionRule);
        }
        if (!SubscriptionRequest.IsValidSubscriberId(request.SubscriberId))
        {
            badRequest.Add("subscriber_id", SubscriptionRequest.SubscriberRule);
        }
        ThrowIfInvalid(badRequest);

        try
        {
            var member = await tokens.AuthorizeAsync(user, channel!.Value, context.CancellationToken);
            using var subscription = hub.Subscribe(new SubscriptionRequest(
                channel.Value,
                request.HasAfterPosition ? request.AfterPosition : null,
                request.SubscriberId.Length == 0 ? null : request.SubscriberId,
                request.Presence,
                Transport.Grpc,
                member));
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
            throw Ended(ex);
        }
    }

    /// <summary>Who may see a channel's events may see who else is watching them.</summary>
    public override async Task<V1.Presence> GetPresence(GetPresenceRequest request, ServerCallContext context)
    {
        var user = await AuthenticateAsync(context);
        var badRequest = new BadRequest();
        var channel = ParseChannel(request.Channel, badRequest);
        ThrowIfInvalid(badRequest);
        try
        {
            await tokens.AuthorizeAsync(user, channel!.Value, context.CancellationToken);
        }
        catch (SubscriptionEndedException ex)
        {
            throw Ended(ex);
        }

        var presence = hub.GetPresence(channel.Value);
        return new V1.Presence { Channel = presence.Channel.Name, Count = presence.Count, SubscriberIds = { presence.SubscriberIds } };
    }

    private async Task<ClaimsPrincipal> AuthenticateAsync(ServerCallContext context)
    {
        try
        {
            return await tokens.AuthenticateAsync(context.GetHttpContext());
        }
        catch (SubscriptionEndedException ex)
        {
            throw Ended(ex);
        }
    }

    private static RpcException Ended(SubscriptionEndedException ex) => new(new global::Grpc.Core.Status(ex.Ending.Grpc, ex.Message));

    private static HubChannel? ParseChannel(string name, BadRequest badRequest)
    {
        if (HubChannel.TryParse(name, out var channel))
        {
            return channel;
        }
        badRequest.Add("channel", SubscriptionRequest.ChannelRule);
        return null;
    }

    private static void ThrowIfInvalid(BadRequest badRequest)
    {
        if (badRequest.FieldViolations.Count > 0)
        {
            throw badRequest.ToStatus(Endings.Of(EndReason.BadRequest).Grpc).ToRpcException();
        }
    }
}
