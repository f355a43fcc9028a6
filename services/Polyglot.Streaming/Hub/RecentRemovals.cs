namespace Polyglot.Streaming.Hub;

/// <summary>
/// Members removed from boards in the last minute, by channel. A subscription is allowed by a
/// membership check made just before it joins; a removal that reaches the hub in between would
/// otherwise let it in after the removal ended the member's other streams. A minute is far longer
/// than that gap; a member added again is forgotten at once. Used under the hub's lock.
/// </summary>
internal sealed class RecentRemovals(TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Dictionary<(HubChannel, string), DateTimeOffset> _removedAt = [];

    public void Add(HubChannel channel, string member)
    {
        var now = clock.GetUtcNow();
        foreach (var old in _removedAt.Where(entry => now - entry.Value > Window).Select(entry => entry.Key).ToList())
        {
            _removedAt.Remove(old);
        }
        _removedAt[(channel, member)] = now;
    }

    public void Forget(HubChannel channel, string member) => _removedAt.Remove((channel, member));

    public bool WasRemoved(HubChannel channel, string member) =>
        _removedAt.TryGetValue((channel, member), out var at) && clock.GetUtcNow() - at <= Window;
}
