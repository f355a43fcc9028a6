using System.Net.Http.Json;

namespace Polyglot.Bench;

/// <summary>Where the services are: by default the app host's fixed ports (./run.sh).</summary>
public class TargetSettings : ResultSettings
{
    [CommandOption("--realtime-http <URL>"), Description("realtime's HTTP endpoint (health, /stats).")]
    public string RealtimeHttp { get; init; } = "http://localhost:5200";

    [CommandOption("--realtime-grpc <URL>"), Description("realtime's gRPC endpoint (HTTP/2 cleartext).")]
    public string RealtimeGrpc { get; init; } = "http://localhost:5201";

    [CommandOption("--crud-grpc <URL>"), Description("crud's gRPC endpoint.")]
    public string CrudGrpc { get; init; } = "http://localhost:5101";

    [CommandOption("--crud-http <URL>"), Description("crud's HTTP endpoint, where the benchmark gets its access token.")]
    public string CrudHttp { get; init; } = "http://localhost:5100";

    [CommandOption("--client-id <ID>"), Description("The service client the benchmark signs in to the app host's crud as.")]
    public string ClientId { get; init; } = "polyglot-dev";

    [CommandOption("--client-secret <SECRET>"), Description("Its secret: for polyglot-dev, the dashboard's dev-client-secret parameter.")]
    public string? ClientSecret { get; init; }

    /// <summary>A channel to the app host's crud, signed in as the named client.</summary>
    public Grpc.Net.Client.GrpcChannel CrudChannel() => Auth().CrudChannel(new Uri(CrudGrpc), new Uri(CrudHttp));

    /// <summary>The named client, as which the benchmark signs in to the app host's crud and realtime.</summary>
    public LocalAuth Auth() =>
        new(ClientId, ClientSecret ?? throw new InvalidOperationException("--client-secret is not set: the benchmark calls crud and realtime as a signed-in client."));

    [CommandOption("--start-realtime"), Description(
        "Measure a realtime of the benchmark's own instead of the app host's: a Release build as its own process, on a private " +
        "RabbitMQ node, fed events straight from the bus as crud's relay would (crud runs beside it with its relay off, for its event log's head).")]
    public bool StartRealtime { get; init; }
}

/// <summary>The realtime under test: the app host's, or one the benchmark started (and stops).</summary>
public sealed class Target : IAsyncDisposable
{
    private readonly IAsyncDisposable[] _started;

    private Target(Uri realtimeHttp, Uri realtimeGrpc, string? accessToken, LocalServer? broker, params IAsyncDisposable[] started)
    {
        RealtimeHttp = realtimeHttp;
        RealtimeGrpc = realtimeGrpc;
        AccessToken = accessToken;
        Broker = broker;
        _started = started;
    }

    private LocalServer? Broker { get; }

    public Uri RealtimeHttp { get; }

    public Uri RealtimeGrpc { get; }

    /// <summary>
    /// The token subscribers send: a service's, with every channel (<c>events.all</c>), so that
    /// subscribing asks crud about no membership. The baseline is sent the same, and checks none.
    /// </summary>
    public string? AccessToken { get; }

    /// <summary>The private broker's connection string when the benchmark started realtime; null against the app host.</summary>
    public string? Bus => Broker?.ConnectionString;

    /// <param name="realtimeSettings">Settings (environment variables) for a realtime the benchmark starts.</param>
    public static async Task<Target> OpenAsync(TargetSettings settings, CancellationToken ct, Dictionary<string, string>? realtimeSettings = null)
    {
        if (!settings.StartRealtime)
        {
            return new Target(new Uri(settings.RealtimeHttp), new Uri(settings.RealtimeGrpc), await settings.Auth().AccessTokenAsync(new Uri(settings.CrudHttp), ct), null);
        }
        return await AnsiConsole.Status().StartAsync("Starting RabbitMQ and realtime (Release)", async _ =>
        {
            var broker = await LocalServer.StartRabbitMQAsync();
            // realtime reads the head of crud's log before it takes subscribers (0 here: crud writes
            // nothing); fed gap-free, it never reads the log itself.
            var crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
            {
                ["Database__Provider"] = "Sqlite",
                ["ConnectionStrings__db"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-bench-{Guid.NewGuid():N}.db")}",
                ["ConnectionStrings__bus"] = broker.ConnectionString,
                ["Outbox__RelayEnabled"] = "false",
            });
            await crud.StartAsync();
            var realtime = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>((realtimeSettings ?? []).Concat(LocalAuth.Shared.RealtimeSettings(crud.GrpcAddress, crud.HttpAddress)))
            {
                ["ConnectionStrings__bus"] = broker.ConnectionString,
            });
            await realtime.StartAsync();
            var target = new Target(realtime.HttpAddress, realtime.GrpcAddress, await LocalAuth.Shared.AccessTokenAsync(crud.HttpAddress, ct), broker, realtime, crud, broker);
            using var http = new HttpClient { BaseAddress = target.RealtimeHttp };
            // Healthy once its queue is consuming and it has read crud's head: from then on it takes subscribers.
            await Wait.UntilAsync(async () => (await http.GetAsync("/health", ct)).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "realtime to be healthy");
            return target;
        });
    }

    /// <summary>
    /// The baseline: bare Grpc.AspNetCore with realtime's stream shape (Polyglot.Bench.Baseline), a
    /// Release process of its own, its streams sent <paramref name="accessToken"/> as realtime's
    /// are: the server holds each stream's request headers, the bearer token the largest of them.
    /// </summary>
    public static async Task<Target> StartBaselineAsync(string? accessToken)
    {
        var baseline = new ServiceProcess("Polyglot.Bench.Baseline", new Dictionary<string, string>(), parent: "bench");
        await baseline.StartAsync();
        return new Target(baseline.HttpAddress, baseline.GrpcAddress, accessToken, null, baseline);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var started in _started)
        {
            await started.DisposeAsync();
        }
    }
}

/// <summary>realtime's own figures, from its /stats endpoint.</summary>
public sealed record RealtimeStats(int ProcessId, long WorkingSetBytes, long GcHeapBytes, double CpuSeconds, int Subscriptions, long Head)
{
    public static async Task<RealtimeStats> ReadAsync(Target target, bool collect, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = target.RealtimeHttp, Timeout = TimeSpan.FromMinutes(1) };
        return await http.GetFromJsonAsync<RealtimeStats>($"/stats?collect={(collect ? "true" : "false")}", ct)
            ?? throw new InvalidOperationException("realtime's /stats answered nothing.");
    }
}

public static class Connections
{
    /// <summary>
    /// One gRPC channel per HTTP/2 connection: its own handler, and no extra connections, so
    /// <paramref name="count"/> connections carry all the streams between them. Each call carries
    /// <paramref name="token"/> when there is one.
    /// </summary>
    public static GrpcChannel[] Open(Uri address, int count, string? token) =>
        [.. Enumerable.Range(0, count).Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = false,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            },
            Credentials = token is null ? null : ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", $"Bearer {token}");
                return Task.CompletedTask;
            })),
            UnsafeUseInsecureChannelCallCredentials = true,
        }))];
}
