namespace Polyglot.Streaming.Hub;

/// <summary>
/// Who is subscribed on the other replicas, as each last said: per replica and channel,
/// subscriber id → subscriptions, and the channels' totals kept up to date so that a local join
/// or leave counts them without a walk. Changed only under the hub's lock.
/// </summary>
internal sealed class OtherReplicas
{
    private readonly Dictionary<string, Dictionary<HubChannel, IReadOnlyDictionary<string, int>>> _replicas = [];
    private readonly Dictionary<HubChannel, int> _totals = [];

    public int Count(HubChannel channel) => _totals.GetValueOrDefault(channel);

    public IEnumerable<string> SubscriberIds(HubChannel channel) =>
        _replicas.Values.SelectMany(channels => channels.TryGetValue(channel, out var subscribers) ? subscribers.Keys : []);

    /// <summary>What <paramref name="replica"/> has on <paramref name="channel"/> now (empty: nobody); returns each subscriber's change in subscriptions.</summary>
    public IEnumerable<(string SubscriberId, int Change)> Set(string replica, HubChannel channel, IReadOnlyDictionary<string, int> subscribers)
    {
        if (!_replicas.TryGetValue(replica, out var channels))
        {
            _replicas[replica] = channels = [];
        }
        var before = channels.GetValueOrDefault(channel) ?? new Dictionary<string, int>();
        if (subscribers.Count == 0)
        {
            channels.Remove(channel);
        }
        else
        {
            channels[channel] = subscribers;
        }
        var changes = before.Keys.Union(subscribers.Keys)
            .Select(id => (id, subscribers.GetValueOrDefault(id) - before.GetValueOrDefault(id)))
            .Where(change => change.Item2 != 0)
            .ToList();
        var total = Count(channel) + changes.Sum(change => change.Item2);
        if (total == 0)
        {
            _totals.Remove(channel);
        }
        else
        {
            _totals[channel] = total;
        }
        return changes;
    }

    /// <summary>The channels <paramref name="replica"/> was last said to have subscribers on.</summary>
    public IReadOnlyList<HubChannel> ChannelsOf(string replica) => _replicas.TryGetValue(replica, out var channels) ? [.. channels.Keys] : [];

    public void Remove(string replica) => _replicas.Remove(replica);
}
