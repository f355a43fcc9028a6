using MassTransit;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Instrumentation.AspNetCore;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Events.V1;
using Polyglot.Realtime.Backfill;
using Polyglot.Realtime.Bus;
using Polyglot.Realtime.Grpc;
using Polyglot.Realtime.Hub;
using Polyglot.Realtime.Sse;
using Polyglot.Realtime.WebSockets;

namespace Polyglot.Realtime.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<HubOptions, HubOptionsValidator>(HubOptions.Section);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ChannelHub>();
        builder.AddBackfill();
        builder.AddBus();

        // Kestrel takes only its endpoints from configuration; bind Kestrel:Limits too. Many
        // streams share an HTTP/2 connection here: the default of 100 per connection would make
        // a client holding 100,000 subscriptions open 1,000 connections. Keep-alive pings find
        // dead peers, whose streams would otherwise be held until TCP gives up.
        builder.Services.Configure<KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));
        // Requests are a channel name and a few numbers: 4 KB is generous (RESOURCE_EXHAUSTED past it).
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = 4 * 1024);
        builder.Services.AddStrictGrpcRequests();
        builder.Services.AddSingleton(SubscribeResponses.Marshaller);
        // A subscription lasts hours: as a span it would only ever be open, and its tags cost
        // every idle subscriber ~250 bytes. The events are traced instead (the consume spans).
        builder.Services.Configure<AspNetCoreTraceInstrumentationOptions>(options =>
        {
            var traced = options.Filter;
            options.Filter = context => !IsSubscription(context.Request.Path) && (traced?.Invoke(context) ?? true);
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks();
        builder.Services.AddProblemDetails();
    }

    /// <summary>crud's event log, where resuming subscribers get what the in-memory history no longer holds.</summary>
    private static void AddBackfill(this IHostApplicationBuilder builder)
    {
        // "_grpc.crud" resolves through Aspire's service discovery (the crud resource's grpc endpoint).
        var address = builder.Configuration["Crud:Address"] ?? "http://_grpc.crud";
        builder.Services.AddGrpcClient<EventLog.EventLogClient>(client => client.Address = new Uri(address));
        builder.Services.AddSingleton<IEventLog, CrudEventLog>();
    }

    private static void AddBus(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("bus")
            ?? throw new InvalidOperationException("ConnectionStrings:bus is not set (an amqp:// URI).");
        builder.Services.AddValidatedOptions<BusOptions, BusOptionsValidator>(BusOptions.Section);
        var options = builder.Configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions();

        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<IntegrationEventConsumer>();
            x.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(connectionString));
                rabbit.Message<IntegrationEventBatch>(m => m.SetEntityName(IntegrationEventBatch.ExchangeName));
                rabbit.ReceiveEndpoint(options.QueueName, endpoint =>
                {
                    endpoint.PrefetchCount = options.PrefetchCount;
                    endpoint.QueueExpiration = options.QueueExpiration;
                    endpoint.ConcurrentMessageLimit = 1; // the hub needs positions in order
                    endpoint.UseMessageRetry(retry =>
                    {
                        retry.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
                        retry.Ignore<Google.Protobuf.InvalidProtocolBufferException>(); // a broken payload stays broken
                    });
                    endpoint.ConfigureConsumer<IntegrationEventConsumer>(context);
                    endpoint.ConnectReceiveEndpointObserver(new ConsumerReadiness(context.GetRequiredService<ChannelHub>()));
                });
            });
        });
    }

    public static void MapGrpcServices(this WebApplication app)
    {
        app.MapGrpcService<RealtimeService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
    }

    private static readonly PathString SubscribePath = $"/{Contracts.Realtime.V1.Realtime.Descriptor.FullName}/Subscribe";

    private static bool IsSubscription(PathString path) =>
        path.StartsWithSegments(SubscribePath) || path.StartsWithSegments(WebSocketEndpoint.Path) || path.StartsWithSegments(SseEndpoint.Path);
}
