using System.Threading.Channels;

namespace Polyglot.Realtime.Hub;

/// <summary>
/// One subscriber's bounded queue. The hub writes without waiting; when the queue is full the
/// subscriber is cut off with <see cref="SlowConsumerException"/> rather than slowing the hub
/// or growing memory. Dispose to leave the channel.
/// </summary>
public sealed class Subscription : IDisposable
{
    private readonly Channel<HubEvent> _queue;
    private readonly ChannelHub _hub;

    internal Subscription(ChannelHub hub, HubChannel channel, long startPosition, int capacity)
    {
        _hub = hub;
        Channel = channel;
        StartPosition = startPosition;
        _queue = System.Threading.Channels.Channel.CreateBounded<HubEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently
        });
    }

    public HubChannel Channel { get; }

    /// <summary>Every event after this position will be delivered, in order, once.</summary>
    public long StartPosition { get; }

    /// <summary>Completes with <see cref="SlowConsumerException"/> when the subscriber fell too far behind.</summary>
    public ChannelReader<HubEvent> Events => _queue.Reader;

    internal void Deliver(HubEvent hubEvent)
    {
        if (!_queue.Writer.TryWrite(hubEvent)
            && _queue.Writer.TryComplete(new SlowConsumerException(Channel, _queue.Reader.Count)))
        {
            _hub.Unsubscribe(this);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _hub.Unsubscribe(this);
    }
}

public sealed class SlowConsumerException(HubChannel channel, int queued)
    : Exception($"Subscriber on {channel} fell {queued} events behind and was disconnected; resume after the last position you received.");

public sealed class HistoryUnavailableException(long requested, long head)
    : Exception($"Cannot resume after position {requested}: this replica's live stream starts after {head} and it keeps no history yet.")
{
    public long Requested { get; } = requested;
    public long Head { get; } = head;
}
