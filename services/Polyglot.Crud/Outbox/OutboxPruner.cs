namespace Polyglot.Crud.Outbox;

/// <summary>
/// Deletes events older than the retention window from the log, never one the bus has not
/// confirmed. Positions grow with commit time, so the cut is a position: the newest event older
/// than the window, found by binary search over the position index (SQLite cannot compare
/// DateTimeOffset in SQL, and this works the same on both providers).
/// </summary>
public sealed partial class OutboxPruner(IServiceScopeFactory scopes, TimeProvider clock, IOptions<OutboxOptions> options, ILogger<OutboxPruner> logger)
    : BackgroundService
{
    private const int RowsPerDelete = 10_000; // short statements: writers wait on SQLite's one lock

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.PruneInterval, clock);
        do
        {
            try
            {
                await PruneAsync(settings.Retention, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPruneFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<long> PruneAsync(TimeSpan retention, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
        var cutoff = clock.GetUtcNow() - retention;
        var published = await db.OutboxCursors.Where(c => c.Name == OutboxCursor.Published).Select(c => c.Position).SingleAsync(ct);
        var low = await db.Outbox.MinAsync(m => (long?)m.Position, ct) ?? 0;
        if (low == 0 || low > published || await OccurredAtAsync(db, low, ct) >= cutoff)
        {
            return 0;
        }
        // Invariant: the event at `low` is older than the cutoff; find the last one that is.
        var high = published;
        while (low < high)
        {
            var middle = low + (high - low + 1) / 2;
            if (await OccurredAtAsync(db, middle, ct) < cutoff)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        long deleted = 0, batch;
        do
        {
            var upTo = low;
            batch = await db.Outbox.Where(m => m.Position <= upTo).OrderBy(m => m.Position).Take(RowsPerDelete).ExecuteDeleteAsync(ct);
            deleted += batch;
        }
        while (batch == RowsPerDelete);
        LogPruned(deleted, low);
        return deleted;
    }

    /// <summary>Positions are gap-free, so every position between the oldest row and the cursor exists.</summary>
    private static Task<DateTimeOffset> OccurredAtAsync(BoardsDbContext db, long position, CancellationToken ct) =>
        db.Outbox.Where(m => m.Position == position).Select(m => m.OccurredAt).SingleAsync(ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} events up to position {Position} from the event log")]
    private partial void LogPruned(long count, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning the event log failed; trying again at the next interval")]
    private partial void LogPruneFailed(Exception exception);
}
