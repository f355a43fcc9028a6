namespace Polyglot.Crud.Outbox;

/// <summary>
/// Where the relay delivers committed events: the bus in the split (<see cref="BusDestination"/>),
/// the in-process hub in the monolith (<see cref="HubDestination"/>). The relay moves its cursor
/// past a batch only once this returned.
/// </summary>
public interface IOutboxDestination
{
    /// <param name="batch">Consecutive positions, in order.</param>
    Task DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct);
}
