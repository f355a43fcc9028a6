using System.Diagnostics;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Polyglot.Crud.Data;

/// <summary>
/// Applies the provider's generated migrations before crud takes traffic. A database that does
/// not answer yet (in a cluster crud and PostgreSQL start together) is waited for, about four
/// minutes, inside the five the startup probe gives, each try logged; then crud stops with the
/// error and its orchestrator starts it again. Anything else (a wrong password, a migration that
/// fails) stops it at once.
/// </summary>
internal static partial class DatabaseMigration
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(4);

    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseMigration));
        // Bounded by time, not tries: a connection that hangs (packets dropped) costs a try its
        // timeout. Only the waiting is bounded: a migration that has begun runs to its end.
        var waiting = Stopwatch.StartNew();
        var untilItAnswers = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is NpgsqlException { IsTransient: true } && waiting.Elapsed < MaxWait),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(0.5),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    LogNotAnswering(logger, args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();
        await untilItAnswers.ExecuteAsync(async ct =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
            await db.Database.MigrateAsync(ct);
            if (db.Database.IsSqlite())
            {
                // WAL lets the relay and readers run beside the one writer SQLite allows.
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database does not answer yet (try {Attempt}): migrating again in {Delay}")]
    private static partial void LogNotAnswering(ILogger logger, Exception? error, int attempt, TimeSpan delay);
}
