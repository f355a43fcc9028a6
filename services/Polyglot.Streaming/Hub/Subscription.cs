using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Polyglot.Streaming.Hub;

/// <summary>
/// One subscriber: what it missed (replayed from history or backfilled from the event log),
/// then a bounded queue of live events (and presence changes, when asked for). The hub writes to the queue without waiting; when it is
/// full the subscriber is cut off (<see cref="EndReason.SlowConsumer"/>) rather than slowing
/// the hub or growing memory. A presence change is queued only while the queue is less than half
/// full (with a queue of one, empty); else it is told with others as one <see cref="PresenceSkip"/>,
/// never a cut-off. Dispose to leave the channel.
/// </summary>
public sealed class Subscription : IDisposable
{
    private readonly Channel<HubMessage> _live;
    private readonly ChannelHub _hub;
    private readonly Func<CancellationToken, IAsyncEnumerable<HubEvent>>? _catchUp;
    private readonly int _capacity;

    /// <summary>
    /// While the catch-up is read, its cancellation, which <see cref="End"/> trips so that an
    /// ended stream stops reading the event log at once; <see cref="EndedMark"/> once ended.
    /// </summary>
    private object? _catchingUp;
    private SubscriptionEndedException? _endedWith;

    /// <summary>
    /// A watcher's (null for others): held while a presence change is queued or left out, and
    /// while the reader takes a presence message or sees whether a skip is due, so that no change
    /// is told out of order with a skip.
    /// </summary>
    private readonly Lock? _presence;
    /// <summary>Presence messages in the queue: a skip waits for them.</summary>
    private int _presenceQueued;
    /// <summary>Presence changes left out and not yet told (<see cref="DeliverPresence"/>), and the channel's count after the last.</summary>
    private (int Skipped, int Count) _left;
    private static readonly object EndedMark = new();

    internal Subscription(
        ChannelHub hub, SubscriptionRequest request, long startPosition,
        Func<CancellationToken, IAsyncEnumerable<HubEvent>>? catchUp, int capacity)
    {
        _hub = hub;
        Channel = request.Channel;
        SubscriberId = request.SubscriberId ?? Guid.NewGuid().ToString();
        WantsPresence = request.Presence;
        Transport = request.Transport;
        Member = request.Member;
        StartPosition = startPosition;
        _catchUp = catchUp;
        _capacity = capacity;
        _presence = WantsPresence ? new Lock() : null;
        _live = System.Threading.Channels.Channel.CreateBounded<HubMessage>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently
        });
    }

    public HubChannel Channel { get; }

    public string SubscriberId { get; }

    public bool WantsPresence { get; }

    public Transport Transport { get; }

    /// <summary><see cref="SubscriptionRequest.Member"/>.</summary>
    public string? Member { get; }

    /// <summary>Messages queued for it and not yet read.</summary>
    internal int QueueDepth => _live.Reader.Count;

    /// <summary>The stream starts after this position: every later event of the channel follows, in order, once.</summary>
    public long StartPosition { get; }

    /// <summary>
    /// The events after <see cref="StartPosition"/>: the catch-up first, then live ones. A position
    /// the catch-up already yielded is skipped when it comes live too. Presence changes come
    /// with the live ones. Each comes with whether another is ready behind it, so a transport can
    /// buffer it and write the lot with one flush (<see cref="Delivery.MoreReady"/>).
    /// </summary>
    /// <remarks>
    /// An event counts as delivered when the reader comes back for the next message: the
    /// transports write each one before they ask again. One message is held in hand until the
    /// next one worth delivering is known, so <see cref="Delivery.MoreReady"/> is never true
    /// for a duplicate that will be skipped, and a reader that buffers on it is never left
    /// with a buffered message and nothing to flush it. With <see cref="HubOptions.WriteDelay"/>,
    /// a message arriving at an empty queue waits that long for others to join it.
    /// </remarks>
    /// <exception cref="SubscriptionEndedException">The stream ended for one of <see cref="EndReason"/>'s reasons.</exception>
    public async IAsyncEnumerable<Delivery> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var last = StartPosition;
        HubMessage? held = null;
        var heldLive = false;
        if (_catchUp is not null)
        {
            using var catchingUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (Interlocked.CompareExchange(ref _catchingUp, catchingUp, null) is not null)
            {
                await catchingUp.CancelAsync(); // ended before it began
            }
            await using var missed = _catchUp(catchingUp.Token).GetAsyncEnumerator(catchingUp.Token);
            // The next one is read while the one in hand is written: a page from the log is
            // fetched while the last page goes out.
            var reading = CatchUpNextAsync(missed, ct).AsTask();
            var unflushed = 0;
            try
            {
                while (true)
                {
                    // The next not ready yet (the log's next page is on its way), or a live queue's
                    // worth buffered with the one in hand: it goes out with a flush, so the
                    // subscriber sees its catch-up as it comes, and a transport's buffer holds no
                    // more of it than of a live queue.
                    if (held is not null && (!reading.IsCompleted || unflushed == _capacity - 1))
                    {
                        yield return new Delivery(held, MoreReady: false);
                        _hub.Metrics.Delivered(Transport, receivedAt: null);
                        (held, unflushed) = (null, 0);
                    }
                    if (!await reading)
                    {
                        break;
                    }
                    var current = missed.Current;
                    reading = CatchUpNextAsync(missed, ct).AsTask();
                    if (current.Position > last)
                    {
                        last = current.Position;
                        if (held is not null)
                        {
                            yield return new Delivery(held, MoreReady: true);
                            _hub.Metrics.Delivered(Transport, receivedAt: null);
                            unflushed++;
                        }
                        held = current;
                    }
                }
            }
            finally
            {
                // Left early (the reader gone): the enumerator is disposed only once its read is over.
                await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                Interlocked.CompareExchange(ref _catchingUp, null, catchingUp);
            }
        }
        // The channel read directly rather than through its own ReadAllAsync: one async iterator
        // less held by every idle subscriber (about 240 bytes of 10 KB).
        while (true)
        {
            var next = TakeReady(ref last);
            if (held is not null)
            {
                yield return new Delivery(held, MoreReady: next is not null);
                if (held is HubEvent written) // presence changes are not events
                {
                    _hub.Metrics.Delivered(Transport, heldLive ? written.ReceivedAt : null);
                }
            }
            (held, heldLive) = (next, true);
            if (held is null)
            {
                if (!await _live.Reader.WaitToReadAsync(ct))
                {
                    yield break;
                }
                if (_hub.WriteDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_hub.WriteDelay, _hub.Clock, ct);
                }
            }
        }
    }

    /// <summary>The next queued message worth delivering, skipping events at or before <paramref name="last"/>; null when none is ready.</summary>
    private HubMessage? TakeReady(ref long last)
    {
        while (true)
        {
            // Presence changes left out go out once every one queued before them has (events may
            // still be queued: they need not wait for each other).
            if (_presence is not null && TakeSkipIfDue() is { } skip)
            {
                return skip;
            }
            if (!_live.Reader.TryRead(out var message))
            {
                return null;
            }
            if (message is PresenceChange or PresenceSkip)
            {
                lock (_presence!)
                {
                    _presenceQueued--;
                }
            }
            // Cut off as too slow, its queue is being dropped on the publishing thread (Deliver):
            // what this one takes now may come after a message taken there, so none goes out.
            if (Volatile.Read(ref _endedWith)?.Reason == EndReason.SlowConsumer)
            {
                continue;
            }
            if (message is not HubEvent hubEvent)
            {
                return message;
            }
            if (hubEvent.Position > last)
            {
                last = hubEvent.Position;
                return hubEvent;
            }
        }
    }

    private PresenceSkip? TakeSkipIfDue()
    {
        lock (_presence!)
        {
            return _presenceQueued == 0 ? TakeSkip() : null;
        }
    }

    /// <summary>The changes left out, as one message (none once the stream has ended). Under the presence lock.</summary>
    private PresenceSkip? TakeSkip()
    {
        var (skipped, count) = _left;
        _left = default;
        return skipped == 0 || Volatile.Read(ref _endedWith) is not null ? null : new PresenceSkip(Channel, count, skipped);
    }

    internal void Deliver(HubMessage message)
    {
        // Full: too slow. (Already ended, it refuses quietly.)
        if (!_live.Writer.TryWrite(message) && End(new SubscriptionEndedException(EndReason.SlowConsumer,
            $"Subscriber on {Channel} fell {_live.Reader.Count} events behind and was disconnected; resume after the last position you received.")))
        {
            // The subscriber resumes from the last position it received, so what is queued would
            // only be skipped: drop it now rather than pin it until a stalled reader wakes.
            while (_live.Reader.TryRead(out _))
            {
            }
        }
    }

    /// <summary>
    /// Queues a presence change while the queue is less than half full. Past that, and until the
    /// reader has taken the presence changes queued, each change is left out and counted, and the
    /// reader tells them as one <see cref="PresenceSkip"/> once those queued before are out: a
    /// burst (a replica with thousands of subscribers on the channel gone) neither cuts a watcher
    /// off nor takes its events' room, a watcher behind on events still hears of a change at once,
    /// and no change goes out of order.
    /// </summary>
    internal void DeliverPresence(PresenceChange change)
    {
        lock (_presence!)
        {
            if (_left.Skipped == 0 && TryQueuePresence(change))
            {
                return;
            }
            _left = (_left.Skipped + 1, change.Count);
            // The reader may have taken every presence change, and wait on an empty queue: queue
            // the skip for it. No room means half the queue holds events, and the reader, woken
            // by them, tells it.
            if (_presenceQueued == 0 && TakeSkip() is { } skip && !TryQueuePresence(skip))
            {
                _left = (skip.Skipped, skip.Count);
            }
        }
    }

    /// <summary>
    /// Queues a presence message while the queue is less than half full, so presence never holds
    /// more than half of it (with a queue of one, that place), and events always have the rest.
    /// Under the presence lock.
    /// </summary>
    private bool TryQueuePresence(HubMessage presence)
    {
        if (_live.Reader.Count >= Math.Max(1, _capacity / 2) || !_live.Writer.TryWrite(presence))
        {
            return false;
        }
        _presenceQueued++;
        return true;
    }

    /// <summary>
    /// Queues <paramref name="message"/> only if nothing else is: an idle stream's keep-alive, never
    /// a cut-off itself (though, while a write delay holds it, it takes one place in the queue).
    /// </summary>
    internal void DeliverIfIdle(HubMessage message)
    {
        if (_live.Reader.Count == 0)
        {
            _live.Writer.TryWrite(message);
        }
    }

    /// <summary>Ends the stream: the reader gets what is queued, then <paramref name="reason"/>. False when it had ended already.</summary>
    /// <param name="announce">Whether the watchers here hear it leave: not when they are all being ended with it.</param>
    internal bool End(SubscriptionEndedException reason, bool announce = true)
    {
        if (!_live.Writer.TryComplete(reason))
        {
            return false;
        }
        Volatile.Write(ref _endedWith, reason);
        if (Interlocked.Exchange(ref _catchingUp, EndedMark) is CancellationTokenSource catchingUp)
        {
            try
            {
                catchingUp.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The catch-up had just finished.
            }
        }
        _hub.Metrics.CutOff(reason.Reason, Transport);
        _hub.Unsubscribe(this, announce);
        return true;
    }

    /// <summary>
    /// The catch-up's next event; a catch-up that cannot go on (history lost, log unavailable) ends
    /// the stream. Ended meanwhile (drained, removed, too slow), the stream ends at once with that
    /// reason, counted once: not with the log's answer crossing the cancellation, not after the
    /// rest of the catch-up, and not with the live events queued behind it, which would leave a
    /// gap before them.
    /// </summary>
    private async ValueTask<bool> CatchUpNextAsync(IAsyncEnumerator<HubEvent> missed, CancellationToken ct)
    {
        try
        {
            return await missed.MoveNextAsync();
        }
        catch (SubscriptionEndedException ex)
        {
            if (!End(ex) && Volatile.Read(ref _endedWith) is { } ended)
            {
                throw ended;
            }
            throw;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && Volatile.Read(ref _endedWith) is { } ended)
        {
            throw ended;
        }
    }

    public void Dispose()
    {
        _live.Writer.TryComplete();
        _hub.Unsubscribe(this);
    }
}

/// <summary>A message to write, and whether another is ready behind it: when so, a transport may buffer this one and flush after the last.</summary>
public readonly record struct Delivery(HubMessage Message, bool MoreReady);
