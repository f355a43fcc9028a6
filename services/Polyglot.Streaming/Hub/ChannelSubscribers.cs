using System.Collections.Concurrent;

namespace Polyglot.Streaming.Hub;

/// <summary>
/// One channel's subscribers, as concurrent sets: joining and leaving cost O(1) however many
/// there are (a copy-on-write array took 212 s to take 100,000 subscribers of one channel), and
/// the fan-out enumerates them without a lock. Changed only under the hub's lock.
/// </summary>
internal sealed class ChannelSubscribers
{
    private readonly ConcurrentDictionary<Subscription, byte> _all = new();
    /// <summary>Those who asked for presence changes, each with how many changes had been queued when it joined.</summary>
    private readonly ConcurrentDictionary<Subscription, long> _watchers = new();
    private readonly Dictionary<string, int> _bySubscriber = [];
    private readonly ConcurrentQueue<(PresenceChange Change, Subscription? About, long Number)> _announcements = new();
    private long _queued;
    private int _announcing;

    public int Count { get; private set; }

    /// <summary>Subscriptions per subscriber id (read under the hub's lock).</summary>
    public IReadOnlyDictionary<string, int> BySubscriber => _bySubscriber;

    public void Add(Subscription subscription)
    {
        _all[subscription] = 0;
        if (subscription.WantsPresence)
        {
            _watchers[subscription] = _queued;
        }
        _bySubscriber[subscription.SubscriberId] = _bySubscriber.GetValueOrDefault(subscription.SubscriberId) + 1;
        Count++;
    }

    public bool Remove(Subscription subscription)
    {
        if (!_all.TryRemove(subscription, out _))
        {
            return false;
        }
        _watchers.TryRemove(subscription, out _);
        if (--_bySubscriber[subscription.SubscriberId] == 0)
        {
            _bySubscriber.Remove(subscription.SubscriberId);
        }
        Count--;
        return true;
    }

    /// <summary>Everyone subscribed (those joining or leaving meanwhile may or may not be among them).</summary>
    public IEnumerable<Subscription> All => _all.Select(entry => entry.Key);

    public void Deliver(HubMessage message)
    {
        foreach (var (subscription, _) in _all)
        {
            subscription.Deliver(message);
        }
    }

    /// <summary>
    /// Queues a presence change for the watchers, about <paramref name="about"/> (null: one on
    /// another replica). Under the hub's lock: the queue holds the changes in the order their
    /// counts were taken.
    /// </summary>
    public void Queue(PresenceChange change, Subscription? about) => _announcements.Enqueue((change, about, ++_queued));

    /// <summary>
    /// Tells those who asked for presence changes what is queued, in order, each change to all but
    /// the one it is about, and to none who joined after it was queued (its count leaves them out).
    /// Outside the hub's lock, one caller at a time: the others (and a watcher cut off meanwhile,
    /// leaving) leave theirs to it, so no two changes reach a watcher the other way round, and its
    /// last count is the channel's.
    /// </summary>
    public void Announce()
    {
        // Checked again after letting go: a change queued just before then is not left behind.
        while (!_announcements.IsEmpty && Interlocked.CompareExchange(ref _announcing, 1, 0) == 0)
        {
            try
            {
                while (_announcements.TryDequeue(out var next))
                {
                    foreach (var (watcher, joinedAfter) in _watchers)
                    {
                        if (watcher != next.About && next.Number > joinedAfter)
                        {
                            watcher.DeliverPresence(next.Change);
                        }
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _announcing, 0);
            }
        }
    }
}
