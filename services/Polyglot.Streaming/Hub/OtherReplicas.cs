namespace Polyglot.Streaming.Hub;

/// <summary>
/// Who is subscribed on the other replicas, as each last said: per replica and channel,
/// subscriber id → subscriptions, and the channels' totals kept up to date so that a local join
/// or leave counts them without a walk. Changed only under the hub's lock.
/// </summary>
internal sealed class OtherReplicas
{
    private readonly Dictionary<string, Dictionary<HubChannel, Dictionary<string, int>>> _replicas = [];
    private readonly Dictionary<HubChannel, int> _totals = [];

    public int Count(HubChannel channel) => _totals.GetValueOrDefault(channel);

    public IEnumerable<string> SubscriberIds(HubChannel channel) =>
        _replicas.Values.SelectMany(channels => channels.TryGetValue(channel, out var subscribers) ? subscribers.Keys : Enumerable.Empty<string>());

    /// <summary>What <paramref name="replica"/> has on <paramref name="channel"/> (all of it, or only the subscribers named), as it says.</summary>
    public IReadOnlyDictionary<string, int> On(string replica, HubChannel channel) =>
        _replicas.TryGetValue(replica, out var channels) && channels.TryGetValue(channel, out var subscribers) ? subscribers : Nobody;

    /// <summary>The channels <paramref name="replica"/> was last said to have subscribers on.</summary>
    public IReadOnlyList<HubChannel> ChannelsOf(string replica) => _replicas.TryGetValue(replica, out var channels) ? [.. channels.Keys] : [];

    /// <summary>Records that <paramref name="subscriberId"/> holds <paramref name="subscriptions"/> on <paramref name="replica"/>; returns the change.</summary>
    public int Set(string replica, HubChannel channel, string subscriberId, int subscriptions)
    {
        if (!_replicas.TryGetValue(replica, out var channels))
        {
            _replicas[replica] = channels = [];
        }
        if (!channels.TryGetValue(channel, out var subscribers))
        {
            channels[channel] = subscribers = [];
        }
        var change = subscriptions - subscribers.GetValueOrDefault(subscriberId);
        if (subscriptions > 0)
        {
            subscribers[subscriberId] = subscriptions;
        }
        else
        {
            subscribers.Remove(subscriberId);
            if (subscribers.Count == 0)
            {
                channels.Remove(channel);
                if (channels.Count == 0)
                {
                    _replicas.Remove(replica);
                }
            }
        }
        var total = Count(channel) + change;
        if (total > 0)
        {
            _totals[channel] = total;
        }
        else
        {
            _totals.Remove(channel);
        }
        return change;
    }

    private static readonly IReadOnlyDictionary<string, int> Nobody = new Dictionary<string, int>();
}
