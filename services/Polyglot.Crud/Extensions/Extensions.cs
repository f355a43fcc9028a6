using System.Data.Common;
using MassTransit;
using Microsoft.Data.Sqlite;
using Npgsql;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Settings;
using Polyglot.Crud.Grpc;
using Scalar.AspNetCore;
using V1 = Polyglot.Contracts.Boards.V1;
using Polyglot.Streaming;
using Polyglot.Streaming.Auth;

namespace Polyglot.Crud.Extensions;

internal static class Extensions
{
    public static Topology Topology(this IConfiguration configuration) => configuration.Choice<Topology>(AppModelNames.TopologySetting);

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddDatabase();
        builder.AddReadCache();
        builder.AddOutbox();
        builder.AddTokenServer();
        builder.AddApiAuthorization();

        builder.Services.AddGrpc(options =>
        {
            options.Interceptors.Add<ConcurrencyInterceptor>();
            // The largest valid request (a card with a 2000-character description, in UTF-8) is
            // under 10 KB; anything over 64 KB is refused before it is read (RESOURCE_EXHAUSTED).
            options.MaxReceiveMessageSize = StrictJsonBodies.MaxBodyBytes;
        })
        // The same services as REST with JSON, by the google.api.http rules in boards.proto; an
        // error's BadRequest detail is written out as JSON, so the registry must know its type.
        .AddJsonTranscoding(options => options.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromMessages(Google.Rpc.BadRequest.Descriptor));
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer(
            new RestApiDocument(V1.Boards.Descriptor, V1.Columns.Descriptor, V1.Cards.Descriptor, V1.Members.Descriptor)));
        builder.Services.AddStrictGrpcRequests();
        builder.Services.AddGrpcReflection();
        // grpc.health.v1 reports the same checks as /health: the database, and the bus or the hub.
        builder.Services.AddGrpcHealthChecks();
    }

    private static void AddDatabase(this IHostApplicationBuilder builder)
    {
        var provider = builder.Configuration.Choice<DatabaseProvider>(AppModelNames.DatabaseProviderSetting);
        var connectionString = builder.Configuration.GetConnectionString(AppModelNames.Database)
            ?? throw new InvalidOperationException($"ConnectionStrings:{AppModelNames.Database} is not set.");
        try
        {
            _ = provider == DatabaseProvider.Postgres ? new NpgsqlConnectionStringBuilder(connectionString) : (DbConnectionStringBuilder)new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // Not the parser's message: it quotes what it took for a keyword, which may be a piece
            // of a password holding an unquoted ';'.
            throw new InvalidOperationException(
                $"ConnectionStrings:{AppModelNames.Database} is not a {provider} connection string ({DatabaseConnectionString.Form(provider)}): a keyword is misspelt, or a value holding ';' or '=' is not quoted.");
        }

        builder.Services.AddSingleton<OutboxSignal>();
        // Pooled contexts: setting up a new one (its internal services, its options checked
        // against EF's cache) cost more than the read itself — a profile of GetCard put 57 % of
        // its time in the call, a third of that in building the context.
        if (provider == DatabaseProvider.Postgres)
        {
            builder.Services.AddDbContextPool<BoardsDbContext, PostgresBoardsDbContext>((services, options) => options
                .UseNpgsql(connectionString)
                .AddInterceptors(services.GetRequiredService<OutboxSignal>(), services.GetRequiredService<ReadCacheInvalidation>()));
        }
        else
        {
            builder.Services.AddDbContextPool<BoardsDbContext, SqliteBoardsDbContext>((services, options) => options
                .UseSqlite(connectionString)
                .AddInterceptors(services.GetRequiredService<OutboxSignal>(), services.GetRequiredService<ReadCacheInvalidation>(), new SqliteBusyTimeout()));
        }
        builder.Services.AddHealthChecks().AddDbContextCheck<BoardsDbContext>("db");
    }

    /// <summary>Rows by id from memory, invalidated by this replica's commits and, through the outbox, by the others'.</summary>
    private static void AddReadCache(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ReadCacheOptions, ReadCacheOptionsValidator>(ReadCacheOptions.Section);
        builder.Services.AddSingleton<ReadCache>();
        builder.Services.AddSingleton<ReadCacheInvalidation>();
        if (builder.Configuration.GetSection(ReadCacheOptions.Section).Get<ReadCacheOptions>()?.Enabled ?? true)
        {
            builder.Services.AddHostedService<ReadCacheTail>();
        }
    }

    /// <summary>
    /// The outbox relay and where it delivers: in the split, the bus (RabbitMQ, or Dapr's sidecar);
    /// in the monolith, the hub this process hosts (with the event log read in-process for
    /// backfill) — no bus at all.
    /// </summary>
    private static void AddOutbox(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<OutboxOptions, OutboxOptionsValidator>(OutboxOptions.Section);
        builder.Services.AddSingleton<OutboxMetrics>();
        builder.Services.AddHostedService<OutboxRelay>();
        builder.Services.AddHostedService<OutboxPruner>();

        if (builder.Configuration.Topology() == Contracts.Settings.Topology.Monolith)
        {
            builder.AddStreaming();
            builder.Services.AddSingleton<IEventLog, OutboxEventLog>();
            builder.Services.AddSingleton<IBoardMembers, BoardMembers>();
            builder.Services.AddSingleton<IOutboxDestination, HubDestination>();
            return;
        }
        if (builder.Configuration.Choice<BusKind>(AppModelNames.BusKindSetting) == BusKind.Dapr)
        {
            // The sidecar's address comes from DAPR_GRPC_ENDPOINT (or DAPR_GRPC_PORT), as Dapr sets it.
            builder.Services.AddDaprClient();
            builder.Services.AddSingleton<IOutboxDestination, DaprDestination>();
            return;
        }
        var bus = builder.Configuration.Broker("set Topology=Monolith to run without a bus, or Bus:Kind=Dapr to publish through Dapr");
        builder.Services.AddMassTransit(x => x.UsingRabbitMq((_, rabbit) => rabbit.UsePolyglotBus(bus)));
        builder.Services.AddSingleton<IOutboxDestination, BusDestination>();
    }

    public static void MapGrpcServices(this WebApplication app)
    {
        app.MapTokenServer();
        // Who may call comes before what they sent: no token is 401 whatever the body.
        app.UseAuthorization();
        app.UseStrictJsonBodies();
        // The same rules for gRPC and for the REST routes transcoded from it.
        app.MapGrpcService<BoardsService>().RequireAuthorization(ApiAuthorization.BoardsPolicy);
        app.MapGrpcService<ColumnsService>().RequireAuthorization(ApiAuthorization.BoardsPolicy);
        app.MapGrpcService<CardsService>().RequireAuthorization(ApiAuthorization.BoardsPolicy);
        app.MapGrpcService<MembersService>().RequireAuthorization(ApiAuthorization.BoardsPolicy);
        app.MapGrpcService<EventLogService>().RequireAuthorization(ApiAuthorization.EventLogPolicy);
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        // The REST API's OpenAPI document (/openapi/v1.json) and a page to read and try it (/scalar).
        app.MapOpenApi();
        app.MapScalarApiReference();
    }

    /// <summary>
    /// The monolith serves the real-time API itself — the same service, /ws, /sse and live page
    /// as realtime — once the hub knows the log's head. The split's crud serves none of it.
    /// </summary>
    public static async Task MapStreamingIfMonolithAsync(this WebApplication app)
    {
        if (app.Configuration.Topology() != Contracts.Settings.Topology.Monolith)
        {
            return;
        }
        app.MapStreaming();
        await app.Services.GetRequiredService<ChannelHub>().OpenAsync(app.Lifetime.ApplicationStopping);
    }
}
