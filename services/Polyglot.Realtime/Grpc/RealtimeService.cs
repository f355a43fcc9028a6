using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Polyglot.Contracts.Realtime.V1;
using Polyglot.Realtime.Hub;

namespace Polyglot.Realtime.Grpc;

/// <summary>The gRPC transport: one server stream per subscription.</summary>
public sealed class RealtimeService(ChannelHub hub) : Contracts.Realtime.V1.Realtime.RealtimeBase
{
    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        var badRequest = new BadRequest();
        if (!HubChannel.TryParse(request.Channel, out var channel))
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = "channel", Description = SubscriptionRequest.ChannelRule });
        }
        if (request.HasAfterPosition && request.AfterPosition < 0)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = "after_position", Description = SubscriptionRequest.PositionRule });
        }
        if (channel is null || badRequest.FieldViolations.Count > 0)
        {
            throw new Google.Rpc.Status
            {
                Code = (int)Code.InvalidArgument,
                Message = $"Invalid request: {string.Join(", ", badRequest.FieldViolations.Select(v => v.Field))}.",
                Details = { Any.Pack(badRequest) },
            }.ToRpcException();
        }

        try
        {
            using var subscription = hub.Subscribe(channel.Value, request.HasAfterPosition ? request.AfterPosition : null);
            await responseStream.WriteAsync(new SubscribeResponse
            {
                Subscribed = new Subscribed { Channel = channel.Value.Name, Position = subscription.StartPosition },
            });
            await foreach (var hubEvent in subscription.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(new SubscribeResponse { Event = hubEvent.Event });
            }
        }
        catch (SlowConsumerException ex)
        {
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.ResourceExhausted, ex.Message));
        }
        catch (HistoryLostException ex)
        {
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.OutOfRange, ex.Message));
        }
        catch (DrainingException ex)
        {
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.Unavailable, ex.Message));
        }
    }
}
