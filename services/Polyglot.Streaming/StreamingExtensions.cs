using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using OpenTelemetry.Instrumentation.AspNetCore;
using Polyglot.Contracts.Auth;
using Polyglot.ServiceDefaults;
using Polyglot.Streaming.Diagnostics;
using Polyglot.Streaming.Grpc;
using Polyglot.Streaming.Sse;
using Polyglot.Streaming.WebSockets;

namespace Polyglot.Streaming;

/// <summary>
/// The hub and its transports as one part: realtime composes it in the split, crud in the
/// monolith. The host adds where events come from (<see cref="ChannelHub.ReceiveAsync"/>), the
/// event log to backfill from (<see cref="IEventLog"/>), who is on a board
/// (<see cref="IBoardMembers"/>) and the keys of subscribers' tokens
/// (<see cref="SubscriberTokens.Scheme"/>'s options), then opens the hub.
/// </summary>
public static class StreamingExtensions
{
    public static IHostApplicationBuilder AddStreaming(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<HubOptions, HubOptionsValidator>(HubOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<HubMetrics>();
        services.AddSingleton<ChannelHub>();
        services.AddHostedService<HeadCheck>();
        services.AddHealthChecks().AddCheck<HubHealthCheck>("hub");

        services.AddLongLivedStreamLimits(builder.Configuration);
        // A WebSocket peer gone from the network, or that stopped reading and sends nothing, answers
        // no ping: without a timeout the server only ever sent unsolicited pongs, and held its
        // subscription (and its place in presence) until TCP gave up, or for ever. Settings (WebSockets:*) over these defaults.
        services.Configure<WebSocketOptions>(options =>
        {
            options.KeepAliveInterval = TimeSpan.FromSeconds(30);
            options.KeepAliveTimeout = TimeSpan.FromSeconds(20);
        });
        services.Configure<WebSocketOptions>(builder.Configuration.GetSection("WebSockets"));
        services.AddValidatedOptions<SseOptions, SseOptionsValidator>(SseOptions.Section);
        services.AddHostedService<SseHeartbeats>();

        services.AddSingleton<SubscriberTokens>();
        services.AddAuthentication().AddAccessTokens(SubscriberTokens.Scheme, Audiences.Realtime, SubscriberTokens.FromQuery);

        // Browsers put their token in the query of /ws and /sse (they can set no header there),
        // and the host's "Request starting/finished" lines carry the whole URL: no setting may
        // turn them on. Traces redact the query.
        builder.Logging.NeverBelow("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        // Requests are a channel name and a few numbers: 4 KB is generous (RESOURCE_EXHAUSTED past it).
        services.AddGrpc().AddServiceOptions<RealtimeService>(options => options.MaxReceiveMessageSize = 4 * 1024);
        services.AddSingleton(SubscribeResponses.Marshaller);
        // A subscription lasts hours: as a span it would only ever be open, and its tags cost
        // every idle subscriber ~250 bytes. The events are traced instead, where they are produced.
        services.Configure<AspNetCoreTraceInstrumentationOptions>(options =>
        {
            var traced = options.Filter;
            options.Filter = context => !IsSubscription(context.Request.Path) && (traced?.Invoke(context) ?? true);
        });
        services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// Kestrel for many long-lived HTTP/2 streams: at its default of 100 streams per connection a
    /// client holding 100,000 subscriptions would open 1,000 connections. Keep-alive pings find
    /// dead peers, whose streams would otherwise be held until TCP gives up. Kestrel takes only its
    /// endpoints from configuration; its limits are bound here, over these defaults. (The
    /// benchmark's bare baseline server sets the same.)
    /// </summary>
    public static IServiceCollection AddLongLivedStreamLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<KestrelServerOptions>(options =>
        {
            options.Limits.Http2.MaxStreamsPerConnection = 1000;
            options.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            options.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        });
        return services.Configure<KestrelServerOptions>(configuration.GetSection("Kestrel"));
    }

    /// <summary>The live page at /, the three transports, /stats, and the drain on shutdown.</summary>
    public static WebApplication MapStreaming(this WebApplication app)
    {
        // On SIGTERM, end every stream with "reconnect elsewhere" before Kestrel waits for requests to finish.
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<ChannelHub>().Drain);

        // Only GETs can be for the page: gRPC calls (POSTs) skip the file lookups.
        var page = new ManifestEmbeddedFileProvider(typeof(StreamingExtensions).Assembly, "wwwroot");
        app.UseWhen(context => HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method), files => files
            .UseDefaultFiles(new DefaultFilesOptions { FileProvider = page })
            .UseStaticFiles(new StaticFileOptions { FileProvider = page }));
        // Where the page signs people in: crud's token server (Auth:Authority), or, unset, this
        // host itself (the monolith).
        app.MapGet("/live-config.json", (IConfiguration configuration) => new
        {
            authority = configuration["Auth:Authority"]?.TrimEnd('/') ?? "",
            clientId = Contracts.Auth.KnownClients.LivePage,
        }).ExcludeFromDescription();
        app.MapGrpcService<RealtimeService>();
        app.MapWebSocketTransport();
        app.MapSseTransport();
        app.MapStats();
        return app;
    }

    private static readonly PathString SubscribePath = $"/{Contracts.Realtime.V1.Realtime.Descriptor.FullName}/Subscribe";

    private static bool IsSubscription(PathString path) =>
        path.StartsWithSegments(SubscribePath) || path.StartsWithSegments(WebSocketEndpoint.Path) || path.StartsWithSegments(SseEndpoint.Path);
}
