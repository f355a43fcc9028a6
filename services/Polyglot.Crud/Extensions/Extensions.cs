using MassTransit;
using Microsoft.EntityFrameworkCore;
using Polyglot.Contracts.Events;
using Polyglot.Crud.Data;
using Polyglot.Crud.Grpc;
using Polyglot.Crud.Outbox;

namespace Polyglot.Crud.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddDatabase();
        builder.AddBus();

        builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<ConcurrencyInterceptor>();
            // The largest valid request (a card with a 2000-character description, in UTF-8) is
            // under 10 KB; anything over 64 KB is refused before it is read (RESOURCE_EXHAUSTED).
            options.MaxReceiveMessageSize = 64 * 1024;
        });
        builder.Services.AddStrictGrpcRequests();
        builder.Services.AddGrpcReflection();
        // grpc.health.v1 reports the same checks as /health: database and bus.
        builder.Services.AddGrpcHealthChecks();
    }

    private static void AddDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<DatabaseOptions, DatabaseOptionsValidator>(DatabaseOptions.Section);
        var provider = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>()?.Provider ?? DatabaseProvider.Sqlite;
        var connectionString = builder.Configuration.GetConnectionString("db")
            ?? throw new InvalidOperationException("ConnectionStrings:db is not set.");

        builder.Services.AddSingleton<OutboxSignal>();
        if (provider == DatabaseProvider.Postgres)
        {
            builder.Services.AddDbContext<BoardsDbContext, PostgresBoardsDbContext>((services, options) => options
                .UseNpgsql(connectionString)
                .AddInterceptors(services.GetRequiredService<OutboxSignal>()));
        }
        else
        {
            builder.Services.AddDbContext<BoardsDbContext, SqliteBoardsDbContext>((services, options) => options
                .UseSqlite(connectionString)
                .AddInterceptors(services.GetRequiredService<OutboxSignal>(), new SqliteBusyTimeout()));
        }
        builder.Services.AddHealthChecks().AddDbContextCheck<BoardsDbContext>("db");
    }

    private static void AddBus(this IHostApplicationBuilder builder)
    {
        var bus = builder.Configuration.GetConnectionString("bus")
            ?? throw new InvalidOperationException("ConnectionStrings:bus is not set (an amqp:// URI).");

        builder.Services.AddValidatedOptions<OutboxOptions, OutboxOptionsValidator>(OutboxOptions.Section);
        builder.Services.AddMassTransit(x => x.UsingRabbitMq((_, rabbit) =>
        {
            rabbit.Host(new Uri(bus));
            rabbit.Message<IntegrationEventBatch>(m => m.SetEntityName(IntegrationEventBatch.ExchangeName));
        }));
        builder.Services.AddSingleton<OutboxMetrics>();
        builder.Services.AddHostedService<OutboxRelay>();
        builder.Services.AddHostedService<OutboxPruner>();
    }

    /// <summary>Applies the provider's generated migrations before the service takes traffic.</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
        await db.Database.MigrateAsync();
        if (db.Database.IsSqlite())
        {
            // WAL lets the relay and readers run beside the one writer SQLite allows.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }
    }

    public static void MapGrpcServices(this WebApplication app)
    {
        app.MapGrpcService<BoardsService>();
        app.MapGrpcService<ColumnsService>();
        app.MapGrpcService<CardsService>();
        app.MapGrpcService<EventLogService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
    }
}
