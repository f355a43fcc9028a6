using System.ComponentModel;
using System.Net.Http.Json;
using Grpc.Net.Client;
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

    [CommandOption("--out <DIR>"), Description("Where results go, as JSON and Markdown.")]
    public string Out { get; init; } = "bench/results";
}

/// <summary>realtime's own figures, from its /stats endpoint.</summary>
public sealed record RealtimeStats(int ProcessId, long WorkingSetBytes, long GcHeapBytes, double CpuSeconds, int Subscriptions, long Head)
{
    public static async Task<RealtimeStats> ReadAsync(TargetSettings target, bool collect, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(target.RealtimeHttp), Timeout = TimeSpan.FromMinutes(1) };
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
    public static GrpcChannel[] Open(string address, int count) =>
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
