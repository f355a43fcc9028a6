using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Polyglot.Realtime.Hub;

/// <summary>
/// One subscriber: what it missed (replayed from history or backfilled from the event log),
/// then a bounded queue of live events. The hub writes to the queue without waiting; when it is
/// full the subscriber is cut off with <see cref="SlowConsumerException"/> rather than slowing
/// the hub or growing memory. Dispose to leave the channel.
/// </summary>
public sealed class Subscription : IDisposable
{
    private readonly Channel<HubEvent> _live;
    private readonly ChannelHub _hub;
    private readonly Func<CancellationToken, IAsyncEnumerable<HubEvent>>? _catchUp;

    internal Subscription(
        ChannelHub hub, HubChannel channel, long startPosition,
        Func<CancellationToken, IAsyncEnumerable<HubEvent>>? catchUp, int capacity)
    {
        _hub = hub;
        Channel = channel;
        StartPosition = startPosition;
        _catchUp = catchUp;
        _live = System.Threading.Channels.Channel.CreateBounded<HubEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently
        });
    }

    public HubChannel Channel { get; }

    /// <summary>The stream starts after this position: every later event of the channel follows, in order, once.</summary>
    public long StartPosition { get; }

    /// <summary>
    /// The events after <see cref="StartPosition"/>: the catch-up first, then live ones. A position
    /// the catch-up already yielded is skipped when it comes live too.
    /// </summary>
    /// <exception cref="SlowConsumerException">The subscriber fell too far behind.</exception>
    /// <exception cref="HistoryLostException">The missed events are gone everywhere.</exception>
    public async IAsyncEnumerable<HubEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var last = StartPosition;
        if (_catchUp is not null)
        {
            await foreach (var hubEvent in _catchUp(ct))
            {
                if (hubEvent.Position > last)
                {
                    last = hubEvent.Position;
                    yield return hubEvent;
                }
            }
        }
        await foreach (var hubEvent in _live.Reader.ReadAllAsync(ct))
        {
            if (hubEvent.Position > last)
            {
                last = hubEvent.Position;
                yield return hubEvent;
            }
        }
    }

    internal void Deliver(HubEvent hubEvent)
    {
        if (!_live.Writer.TryWrite(hubEvent))
        {
            End(new SlowConsumerException(Channel, _live.Reader.Count));
        }
    }

    /// <summary>Ends the stream: the reader gets what is queued, then <paramref name="reason"/>.</summary>
    internal void End(Exception reason)
    {
        if (_live.Writer.TryComplete(reason))
        {
            _hub.Unsubscribe(this);
        }
    }

    public void Dispose()
    {
        _live.Writer.TryComplete();
        _hub.Unsubscribe(this);
    }
}

public sealed class DrainingException()
    : Exception("This server is shutting down: reconnect, to another replica if there is one, and resume after the last position you received.");

public sealed class SlowConsumerException(HubChannel channel, int queued)
    : Exception($"Subscriber on {channel} fell {queued} events behind and was disconnected; resume after the last position you received.");
