using System.ComponentModel;
using System.Net.Http.Json;
using Grpc.Net.Client;
using Polyglot.Testing;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Polyglot.Bench;

/// <summary>Where the services are: by default the app host's fixed ports (./run.sh).</summary>
public class TargetSettings : CommandSettings
{
    [CommandOption("--realtime-http <URL>"), Description("realtime's HTTP endpoint (health, /stats).")]
    public string RealtimeHttp { get; init; } = "http://localhost:5200";

    [CommandOption("--realtime-grpc <URL>"), Description("realtime's gRPC endpoint (HTTP/2 cleartext).")]
    public string RealtimeGrpc { get; init; } = "http://localhost:5201";

    [CommandOption("--crud-grpc <URL>"), Description("crud's gRPC endpoint.")]
    public string CrudGrpc { get; init; } = "http://localhost:5101";

    [CommandOption("--start-realtime"), Description(
        "Measure a realtime of the benchmark's own instead of the app host's: a Release build as its own process, on a private " +
        "RabbitMQ node, fed events straight from the bus as crud's relay would (no crud, no database).")]
    public bool StartRealtime { get; init; }

    [CommandOption("--out <DIR>"), Description("Where results go, as JSON and Markdown.")]
    public string Out { get; init; } = "bench/results";
}

/// <summary>The realtime under test: the app host's, or one the benchmark started (and stops).</summary>
public sealed class Target : IAsyncDisposable
{
    private readonly LocalServer? _broker;
    private readonly ServiceProcess? _realtime;

    private Target(Uri realtimeHttp, Uri realtimeGrpc, LocalServer? broker, ServiceProcess? realtime)
    {
        RealtimeHttp = realtimeHttp;
        RealtimeGrpc = realtimeGrpc;
        _broker = broker;
        _realtime = realtime;
    }

    public Uri RealtimeHttp { get; }

    public Uri RealtimeGrpc { get; }

    /// <summary>The private broker's connection string when the benchmark started realtime; null against the app host.</summary>
    public string? Bus => _broker?.ConnectionString;

    public static async Task<Target> OpenAsync(TargetSettings settings, CancellationToken ct)
    {
        if (!settings.StartRealtime)
        {
            return new Target(new Uri(settings.RealtimeHttp), new Uri(settings.RealtimeGrpc), null, null);
        }
        return await AnsiConsole.Status().StartAsync("Starting RabbitMQ and realtime (Release)", async _ =>
        {
            var broker = await LocalServer.StartRabbitMQAsync();
            var realtime = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>
            {
                ["ConnectionStrings__bus"] = broker.ConnectionString,
                // Fed gap-free, realtime never reads crud's log; nothing needs to listen there.
                ["Crud__Address"] = $"http://127.0.0.1:{Ports.Free()}",
            });
            await realtime.StartAsync();
            var target = new Target(realtime.HttpAddress, realtime.GrpcAddress, broker, realtime);
            using var http = new HttpClient { BaseAddress = target.RealtimeHttp };
            // Healthy once its queue is bound and consuming: from then on it takes subscribers.
            await Wait.UntilAsync(async () => (await http.GetAsync("/health", ct)).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "realtime to be healthy");
            return target;
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_realtime is not null)
        {
            await _realtime.DisposeAsync();
        }
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
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
    /// <paramref name="count"/> connections carry all the streams between them.
    /// </summary>
    public static GrpcChannel[] Open(Uri address, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = false,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            },
        }))];
}
