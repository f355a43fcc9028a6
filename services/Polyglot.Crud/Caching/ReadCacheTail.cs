using System.Diagnostics;

namespace Polyglot.Crud.Caching;

/// <summary>
/// Reads the outbox every <see cref="ReadCacheOptions.PollInterval"/> for the boards that other
/// replicas' commits changed (this replica's own are invalidated as they commit), and tells the
/// cache how current it is. The first round invalidates everything read before it.
/// </summary>
public sealed partial class ReadCacheTail(ReadCache cache, IServiceScopeFactory scopes, IOptions<ReadCacheOptions> options, ILogger<ReadCacheTail> logger)
    : BackgroundService
{
    /// <summary>Further behind than this, everything is invalidated rather than the rows read.</summary>
    private const int MostPositionsRead = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? seen = null;
        using var timer = new PeriodicTimer(options.Value.PollInterval);
        do
        {
            var startedAt = Stopwatch.GetTimestamp();
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
                // The head first: every commit before this round started is at or below it.
                var head = await EventLogReader.ReadHeadAsync(db, stoppingToken);
                if (seen is not { } after || head - after > MostPositionsRead)
                {
                    cache.InvalidateEverything();
                }
                else if (head > after)
                {
                    var boards = await db.Outbox.AsNoTracking()
                        .Where(m => m.Position > after && m.Position <= head)
                        .Select(m => m.BoardId)
                        .ToListAsync(stoppingToken);
                    if (boards.Count != head - after)
                    {
                        // Positions are gap-free: missing rows were pruned before this replica saw them.
                        cache.InvalidateEverything();
                    }
                    foreach (var board in boards.Distinct())
                    {
                        cache.Invalidate(board);
                    }
                }
                seen = head;
                cache.CaughtUp(startedAt);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogReadFailed(exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the outbox for other replicas' changes; cached rows are not served until it can")]
    private partial void LogReadFailed(Exception exception);
}
