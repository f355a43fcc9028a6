using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Polyglot.Contracts.Settings;

namespace Polyglot.Realtime.Dapr;

/// <summary>Realtime on Dapr pub/sub instead of RabbitMQ (<c>Bus:Kind=Dapr</c>): what it registers and the routes the sidecar calls.</summary>
public static class DaprBus
{
    /// <summary>Where the sidecar delivers the topic's CloudEvents.</summary>
    public const string Route = AppModelNames.DaprEventsRoute;

    /// <summary>
    /// Dapr's app API token, which the sidecar sends with each call (<c>dapr-api-token</c>): the
    /// routes answer no one else, or anyone who reaches realtime's port could post events to
    /// every subscriber, or a member's removal that ends their streams.
    /// </summary>
    public const string AppTokenSetting = AppModelNames.DaprAppTokenVariable;

    private const string FromTheSidecar = "Dapr";

    public static void AddDaprBus(this IHostApplicationBuilder builder)
    {
        var token = builder.Configuration[AppTokenSetting] is { Length: > 0 } configured ? configured
            : throw new InvalidOperationException($"{AppTokenSetting} is not set: on Dapr, realtime takes events only from its sidecar, which sends that token (Dapr's app API token; docs/dapr.md).");
        builder.Services.AddAuthentication().AddDapr(options => options.Token = token);
        builder.Services.AddAuthorization(options => options.AddDapr(FromTheSidecar));
        builder.Services.AddSingleton<DaprIngest>();
        // No receive endpoint to wait for: the sidecar delivers once the app answers, so the hub opens at start.
        builder.Services.AddHostedService<HubOpener>();
    }

    /// <summary><c>/dapr/subscribe</c> announces the subscription; the route takes its events.</summary>
    public static void MapDaprBus(this WebApplication app)
    {
        app.UseCloudEvents();
        app.MapSubscribeHandler().RequireAuthorization(FromTheSidecar);
        app.MapPost(Route, (HttpRequest request, DaprIngest ingest, CancellationToken ct) => ingest.ReceiveAsync(request, ct))
            .WithTopic(IntegrationEventBatch.PubSubName, IntegrationEventBatch.ExchangeName)
            .RequireAuthorization(FromTheSidecar);
    }

    private sealed class HubOpener(ChannelHub hub) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => hub.OpenAsync(stoppingToken);
    }
}
