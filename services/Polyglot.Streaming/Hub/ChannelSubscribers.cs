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
    private readonly ConcurrentDictionary<Subscription, byte> _watchers = new();
    private readonly Dictionary<string, int> _bySubscriber = [];

    public int Count { get; private set; }

    /// <summary>Subscriptions per subscriber id (read under the hub's lock).</summary>
    public IReadOnlyDictionary<string, int> BySubscriber => _bySubscriber;

    public void Add(Subscription subscription)
    {
        _all[subscription] = 0;
        if (subscription.WantsPresence)
        {
            _watchers[subscription] = 0;
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

    /// <summary>Tells those who asked for presence changes, except the one it is about (null: one on another replica).</summary>
    public void Announce(PresenceChange change, Subscription? about)
    {
        foreach (var (watcher, _) in _watchers)
        {
            if (watcher != about)
            {
                watcher.Deliver(change);
            }
        }
    }
}
