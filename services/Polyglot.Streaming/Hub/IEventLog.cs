namespace Polyglot.Streaming.Hub;

/// <summary>
/// Where the hub backfills what its in-memory history no longer holds: the monolith's event
/// log, which has every committed event. Kept as an interface so the core stays transport-free.
/// </summary>
public interface IEventLog
{
    /// <summary>The channel's events after <paramref name="afterPosition"/>, in order, up to the end of the log.</summary>
    /// <exception cref="HistoryLostException">The log no longer holds the events right after that position.</exception>
    IAsyncEnumerable<HubEvent> ReadAfterAsync(HubChannel channel, long afterPosition, CancellationToken ct);
}

/// <summary>Neither the hub's history nor the monolith's log has the events a subscriber asked for.</summary>
public sealed class HistoryLostException(string message) : Exception(message);
