namespace Polyglot.Streaming.Hub;

/// <summary>
/// The last events the hub fanned out, across all channels, bounded by count and by age, so a
/// subscriber that reconnects soon gets what it missed from memory instead of from the monolith.
/// One ring for every channel keeps the memory bound global (a per-channel ring would multiply
/// it by the number of boards); a channel's history is the ring filtered by channel.
/// Not thread-safe: the hub calls it under its lock.
/// </summary>
internal sealed class History(int capacity, TimeSpan maxAge, TimeProvider clock)
{
    private readonly (HubEvent Event, long At)[] _ring = new (HubEvent, long)[capacity];
    private int _first;
    private int _count;

    /// <summary>Every event after this position, up to the head, is in the ring. Null before the first event.</summary>
    public long? Floor { get; private set; }

    /// <param name="hubEvent">The event just fanned out; its position is the new head.</param>
    /// <param name="contiguous">False when positions were skipped: what came before is then no longer complete.</param>
    public void Append(HubEvent hubEvent, bool contiguous)
    {
        var now = clock.GetTimestamp();
        EvictOlderThan(now);
        if (_count == _ring.Length)
        {
            Evict();
        }
        _ring[(_first + _count++) % _ring.Length] = (hubEvent, now);
        if (Floor is null || !contiguous)
        {
            Floor = hubEvent.Position - 1;
        }
    }

    /// <summary>The head jumped to <paramref name="head"/> without the events before it: replay only what comes after.</summary>
    public void Restart(long head) => Floor = head;

    /// <summary>The channel's events after <paramref name="afterPosition"/>, or false when the ring no longer has them all.</summary>
    public bool TryReplay(HubChannel channel, long afterPosition, out List<HubEvent> events)
    {
        EvictOlderThan(clock.GetTimestamp());
        events = [];
        if (Floor is not { } floor || afterPosition < floor)
        {
            return false;
        }
        for (var i = 0; i < _count; i++)
        {
            var hubEvent = _ring[(_first + i) % _ring.Length].Event;
            if (hubEvent.Position > afterPosition && (channel == HubChannel.All || channel == hubEvent.Channel))
            {
                events.Add(hubEvent);
            }
        }
        return true;
    }

    private void EvictOlderThan(long now)
    {
        while (_count > 0 && clock.GetElapsedTime(_ring[_first].At, now) > maxAge)
        {
            Evict();
        }
    }

    private void Evict()
    {
        // Never below a floor set by a jump (Restart, or a gap): the ring may still hold events
        // from before it, and the positions skipped after them were never in it.
        Floor = Math.Max(Floor ?? 0, _ring[_first].Event.Position);
        _ring[_first] = default;
        _first = (_first + 1) % _ring.Length;
        _count--;
    }
}
