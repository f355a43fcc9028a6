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
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseMigration));
        var untilItAnswers = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(ex => ex.IsTransient),
                MaxRetryAttempts = 50,
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
        }, app.Lifetime.ApplicationStopping);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database does not answer yet (try {Attempt}): migrating again in {Delay}")]
    private static partial void LogNotAnswering(ILogger logger, Exception? error, int attempt, TimeSpan delay);
}
