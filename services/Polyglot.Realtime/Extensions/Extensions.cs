using Microsoft.AspNetCore.Authentication.JwtBearer;
using Polyglot.Contracts.Auth;
using Polyglot.Contracts.Settings;
using Polyglot.Realtime.Backfill;
using Polyglot.Realtime.Bus;
using Polyglot.Realtime.Dapr;
using Polyglot.Realtime.Presence;
using Polyglot.ServiceDefaults;
using Polyglot.Streaming.Auth;

namespace Polyglot.Realtime.Extensions;

internal static class Extensions
{
    /// <summary>What makes this host the split's specialist: events from the bus (RabbitMQ or Dapr), backfill from crud's event log.</summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddBackfill();
        if (builder.Configuration.Choice<BusKind>(AppModelNames.BusKindSetting) == BusKind.Dapr)
        {
            builder.AddDaprBus();
        }
        else
        {
            builder.AddBus();
        }
        builder.Services.AddGrpc();
        builder.Services.AddStrictGrpcRequests();
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks();
    }

    /// <summary>
    /// crud's event log, where resuming subscribers get what the in-memory history no longer holds,
    /// and who is on a board: read as a service client of crud's, with its token on every call.
    /// Subscribers' tokens are checked with crud's published keys (<see cref="CrudSigningKeys"/>).
    /// </summary>
    private static void AddBackfill(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<CrudOptions, CrudOptionsValidator>(CrudOptions.Section);
        builder.Services.AddHttpClient(nameof(ClientCredentials));
        builder.Services.AddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<CrudOptions>>().Value;
            var http = services.GetRequiredService<IHttpClientFactory>();
            return new ClientCredentials(() => http.CreateClient(nameof(ClientCredentials)), options.TokenEndpoint, options.ClientId, options.ClientSecret, ApiScopes.AllEvents);
        });
        builder.Services.AddGrpcClient<EventLog.EventLogClient>((services, client) => client.Address = services.GetRequiredService<IOptions<CrudOptions>>().Value.Address)
            .AddCallCredentials(async (context, metadata, services) =>
                metadata.Add("authorization", $"Bearer {await services.GetRequiredService<ClientCredentials>().AccessTokenAsync(context.CancellationToken)}"))
            .AddHttpMessageHandler(services => new RefusedTokens(services.GetRequiredService<ClientCredentials>()))
            .ConfigureChannel(channel =>
            {
                // Plain HTTP/2 inside the deployment (TLS is the ingress's or the mesh's); the token goes along.
                channel.UnsafeUseInsecureChannelCallCredentials = true;
                // A call given up (the subscriber gone, its stream ended) is a cancellation, as
                // everywhere else in .NET, not an RpcException the transports would take for a failure.
                channel.ThrowOperationCanceledOnCancellation = true;
            });
        builder.Services.AddSingleton<IEventLog, CrudEventLog>();
        builder.Services.AddSingleton<IBoardMembers, CrudBoardMembers>();
        builder.Services.AddHttpClient(nameof(CrudSigningKeys), http => http.Timeout = CrudSigningKeys.Timeout);
        builder.Services.AddOptions<JwtBearerOptions>(SubscriberTokens.Scheme)
            .Configure<IOptions<CrudOptions>, IHttpClientFactory, IConfiguration, TimeProvider, ILogger<CrudSigningKeys>>((jwt, crud, http, configuration, time, logger) =>
            {
                jwt.ConfigurationManager = new CrudSigningKeys(http.CreateClient(nameof(CrudSigningKeys)), crud.Value.TokenEndpoint, time, logger);
                jwt.ExpectIssuer(configuration.GetValue<Uri?>("Auth:Issuer"));
            });
    }

    private static void AddBus(this IHostApplicationBuilder builder)
    {
        var broker = builder.Configuration.Broker("set Bus:Kind=Dapr to take events from Dapr");
        builder.Services.AddValidatedOptions<BusOptions, BusOptionsValidator>(BusOptions.Section);
        var options = builder.Configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();

        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<IntegrationEventConsumer>();
            x.AddConsumer<ReplicaPresenceConsumer>();
            x.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.UsePolyglotBus(broker);
                rabbit.Message<ReplicaPresence>(m => m.SetEntityName(ReplicaPresence.ExchangeName));
                // Presence is worth nothing once its replica is gone: a queue that goes with it.
                rabbit.ReceiveEndpoint(new TemporaryEndpointDefinition(), endpoint =>
                {
                    endpoint.ConcurrentMessageLimit = 1; // each replica's announcements in the order it sent them
                    endpoint.ConfigureConsumer<ReplicaPresenceConsumer>(context);
                });
                rabbit.ReceiveEndpoint(options.QueueName, endpoint =>
                {
                    endpoint.PrefetchCount = options.PrefetchCount;
                    endpoint.QueueExpiration = options.QueueExpiration;
                    endpoint.ConcurrentMessageLimit = 1; // the hub needs positions in order
                    endpoint.UseMessageRetry(retry =>
                    {
                        retry.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
                        // A broken or missing payload stays so (HubEvent.From): to the error queue at once,
                        // not retried for a minute and a half ahead of the messages behind it.
                        retry.Ignore<Google.Protobuf.InvalidProtocolBufferException>();
                        retry.Ignore<ArgumentException>();
                    });
                    endpoint.ConfigureConsumer<IntegrationEventConsumer>(context);
                    endpoint.ConnectReceiveEndpointObserver(new ConsumerReadiness(context.GetRequiredService<ChannelHub>(), context.GetRequiredService<IHostApplicationLifetime>()));
                });
            });
        });

        builder.Services.AddValidatedOptions<PresenceOptions, PresenceOptionsValidator>(PresenceOptions.Section);
        builder.Services.AddSingleton<PresenceGossip>();
        // After the bus: hosted services stop in reverse order, so the gossip's last word goes out while the bus still runs.
        builder.Services.AddHostedService(services => services.GetRequiredService<PresenceGossip>());
    }

    public static void MapApplicationEndpoints(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        if (app.Configuration.Choice<BusKind>(AppModelNames.BusKindSetting) == BusKind.Dapr)
        {
            app.MapDaprBus();
        }
    }
}
