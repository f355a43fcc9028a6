using System.Collections.Immutable;
using Microsoft.Extensions.Options;

namespace Polyglot.Realtime.Hub;

/// <summary>
/// The transport-free core: channels, their subscribers, and the fan-out of events in position
/// order. Transports (gRPC today; WebSocket and SSE later) only adapt a <see cref="Subscription"/>.
/// </summary>
/// <remarks>
/// Subscriber lists are copy-on-write arrays: <see cref="Publish"/> takes a snapshot under the
/// lock and fans out without it, so a publish to 10,000 subscribers never blocks a subscribe.
/// Publish is called by one consumer at a time, in the bus's delivery order.
/// </remarks>
public sealed partial class ChannelHub(IOptions<HubOptions> options, ILogger<ChannelHub> logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<HubChannel, ImmutableArray<Subscription>> _channels = [];
    private long _head;

    /// <summary>The last position fanned out; 0 before the first event.</summary>
    public long Head
    {
        get { lock (_lock) { return _head; } }
    }

    /// <summary>Subscribes to events after <paramref name="afterPosition"/>, or from now on when it is null.</summary>
    /// <exception cref="HistoryUnavailableException">The position is older than the live head.</exception>
    public Subscription Subscribe(HubChannel channel, long? afterPosition = null)
    {
        lock (_lock)
        {
            if (afterPosition < _head)
            {
                throw new HistoryUnavailableException(afterPosition.Value, _head);
            }
            var subscription = new Subscription(this, channel, afterPosition ?? _head, options.Value.SubscriberQueueCapacity);
            _channels[channel] = _channels.GetValueOrDefault(channel, []).Add(subscription);
            return subscription;
        }
    }

    /// <summary>Fans one event out to its board's channel and the firehose; drops a position already seen.</summary>
    public void Publish(HubEvent hubEvent)
    {
        ImmutableArray<Subscription> board, all;
        lock (_lock)
        {
            if (hubEvent.Position <= _head)
            {
                LogDuplicate(hubEvent.Position, _head);
                return;
            }
            if (_head != 0 && hubEvent.Position != _head + 1)
            {
                LogGap(_head, hubEvent.Position);
            }
            _head = hubEvent.Position;
            board = _channels.GetValueOrDefault(hubEvent.Channel, []);
            all = _channels.GetValueOrDefault(HubChannel.All, []);
        }

        Deliver(board, hubEvent);
        Deliver(all, hubEvent);
    }

    private static void Deliver(ImmutableArray<Subscription> subscribers, HubEvent hubEvent)
    {
        foreach (var subscription in subscribers)
        {
            // A subscriber that resumed ahead of the head skips what it already has.
            if (hubEvent.Position > subscription.StartPosition)
            {
                subscription.Deliver(hubEvent);
            }
        }
    }

    internal void Unsubscribe(Subscription subscription)
    {
        lock (_lock)
        {
            if (!_channels.TryGetValue(subscription.Channel, out var subscribers))
            {
                return;
            }
            subscribers = subscribers.Remove(subscription);
            if (subscribers.IsEmpty)
            {
                _channels.Remove(subscription.Channel);
            }
            else
            {
                _channels[subscription.Channel] = subscribers;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped position {Position}: already at {Head}")]
    private partial void LogDuplicate(long position, long head);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Positions {Head} to {Position} are not contiguous: events in between were not received")]
    private partial void LogGap(long head, long position);
}
