using System.Runtime.CompilerServices;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// The monolith's hub reads the event log in-process: the same reader crud serves over gRPC to
/// realtime in the split, with the same endings (history lost; unavailable while the database is).
/// </summary>
public sealed class OutboxEventLog(IServiceScopeFactory scopes) : IEventLog
{
    private const int PageSize = 1000;

    public Task<long> ReadHeadAsync(CancellationToken ct) => ReadAsync(EventLogReader.ReadHeadAsync, ct);

    public Task<long> ReadPublishedAsync(CancellationToken ct) => ReadAsync(EventLogReader.ReadPublishedAsync, ct);

    public async IAsyncEnumerable<HubEvent> ReadAfterAsync(HubChannel channel, long afterPosition, [EnumeratorCancellation] CancellationToken ct)
    {
        var boardId = channel.BoardId is { } id ? Guid.Parse(id) : (Guid?)null;
        while (true)
        {
            var after = afterPosition;
            var (events, head) = await ReadAsync((db, token) => EventLogReader.ReadPageAsync(db, after, boardId, PageSize, token), ct);
            foreach (var integrationEvent in events)
            {
                yield return HubEvent.From(integrationEvent);
            }
            if (events.Count == 0 || events[^1].Position >= head)
            {
                yield break;
            }
            afterPosition = events[^1].Position;
        }
    }

    private async Task<T> ReadAsync<T>(Func<BoardsDbContext, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            return await read(scope.ServiceProvider.GetRequiredService<BoardsDbContext>(), ct);
        }
        catch (HistoryLostException ex)
        {
            throw new SubscriptionEndedException(EndReason.HistoryLost, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new SubscriptionEndedException(EndReason.Unavailable,
                "The event log cannot be read right now (the database did not answer): resume later, after the last position you received.");
        }
    }
}
