using Polyglot.Contracts.Settings;

namespace Polyglot.Realtime.Dapr;

/// <summary>Realtime on Dapr pub/sub instead of RabbitMQ (<c>Bus:Kind=Dapr</c>): what it registers and the routes the sidecar calls.</summary>
public static class DaprBus
{
    /// <summary>Where the sidecar delivers the topic's CloudEvents.</summary>
    public const string Route = AppModelNames.DaprEventsRoute;

    public static void AddDaprBus(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DaprIngest>();
        // No receive endpoint to wait for: the sidecar delivers once the app answers, so the hub opens at start.
        builder.Services.AddHostedService<HubOpener>();
    }

    /// <summary><c>/dapr/subscribe</c> announces the subscription; the route takes its events.</summary>
    public static void MapDaprBus(this WebApplication app)
    {
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        app.MapPost(Route, (HttpRequest request, DaprIngest ingest, CancellationToken ct) => ingest.ReceiveAsync(request, ct))
            .WithTopic(IntegrationEventBatch.PubSubName, IntegrationEventBatch.ExchangeName);
    }

    private sealed class HubOpener(ChannelHub hub) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => hub.OpenAsync(stoppingToken);
    }
}
