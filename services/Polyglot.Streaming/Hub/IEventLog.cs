namespace Polyglot.Streaming.Hub;

/// <summary>
/// Where the hub learns the head of the log and backfills what its in-memory history no longer
/// holds: the monolith's event log, which has every committed event. In the split it is read
/// over gRPC, in the monolith in-process. An interface, so the core stays transport-free.
/// </summary>
public interface IEventLog
{
    /// <summary>The last position committed: every later event reaches the hub once its source is live.</summary>
    /// <exception cref="SubscriptionEndedException">Unavailable: the log cannot be read now.</exception>
    Task<long> ReadHeadAsync(CancellationToken ct);

    /// <summary>
    /// The last position handed to the hub's source (the bus, or the monolith's hub itself): one
    /// that has not reached the hub a while later was lost on the way (<see cref="HeadCheck"/>).
    /// </summary>
    /// <exception cref="SubscriptionEndedException">Unavailable: the log cannot be read now.</exception>
    Task<long> ReadPublishedAsync(CancellationToken ct);

    /// <summary>The channel's events after <paramref name="afterPosition"/>, in order, up to the log's head.</summary>
    /// <exception cref="SubscriptionEndedException">
    /// History lost: the log no longer holds the events right after that position; or unavailable:
    /// the log cannot be read now.
    /// </exception>
    IAsyncEnumerable<HubEvent> ReadAfterAsync(HubChannel channel, long afterPosition, CancellationToken ct);
}
