using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;

namespace Polyglot.Bench.Cost;

/// <summary>One CRUD read load: requests per second, latency percentiles, and the server's CPU per request.</summary>
/// <param name="MayHaveWaitedUnseen">
/// At an offered rate: a reply was slow enough that a connection may have had all its streams busy,
/// so that a request due then waited in h2load, a wait its latency leaves out. Always false for a
/// closed loop, which has no schedule to fall behind.
/// </param>
public sealed record ReadLoad(double RequestsPerSecond, double P50Ms, double P99Ms, double MaxMs, long Failed, double ServerCpuMicrosecondsPerRequest, bool MayHaveWaitedUnseen);

/// <summary>
/// Unary gRPC load from h2load (Debian's nghttp2-client): far cheaper per request than a .NET
/// client on the same cores, so the server, not the load generator, is what is measured. The
/// request is one gRPC-framed message sent on every stream; the latencies come from its
/// per-request log. h2load sees HTTP, where a gRPC error is a 200 too (its status is in the
/// trailers): the request is sent once through a gRPC client first, and a run in which fewer
/// response bytes came back than every request's reply takes is refused.
/// </summary>
public static partial class H2Load
{
    public const string Command = "h2load";

    public static readonly string GetCardPath = $"/{Polyglot.Contracts.Boards.V1.Cards.Descriptor.FullName}/GetCard";

    /// <summary>h2load comes from the OS packages (nghttp2-client); installed first when missing, as run.sh does for the servers.</summary>
    public static async Task EnsureInstalledAsync()
    {
        using var install = Process.Start(new ProcessStartInfo(Path.Combine(LocalServers.Repository.Root, "scripts", "ensure-os-packages"), ["nghttp2-client"]))!;
        await install.WaitForExitAsync();
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException("h2load is needed for the CRUD reads: install nghttp2-client (apt-get install nghttp2-client).");
        }
    }

    /// <param name="method">The full method path, e.g. /polyglot.boards.v1.Cards/GetCard.</param>
    /// <param name="serverPid">The process whose CPU time the requests cost.</param>
    /// <param name="accessToken">crud's token for the caller, sent on every request as a real client sends it.</param>
    /// <param name="rate">
    /// Requests per second offered, a multiple of <paramref name="connections"/>, each offered its
    /// share (h2load's --rps, sent every 10 ms: the requests due since), so that two servers'
    /// latencies compare at one rate. h2load times a request from when it is sent, not from when it
    /// was due: one held back because all its connection's <paramref name="streams"/> were busy does
    /// not count its wait. That takes <paramref name="streams"/> replies outstanding on a connection;
    /// sent on time, the oldest of them has waited <paramref name="streams"/> of the connection's
    /// intervals. A run whose slowest reply took half as long is flagged, the other half left for
    /// h2load's catching up after a pause of its own. The log holds the measured window only: a
    /// stall in the warm-up, or as the window opens, shows as a rate above the one offered
    /// (replies to requests sent before the window count in it) rather than in the slowest reply.
    /// Null: each stream sends its next request when its reply comes (a closed loop), which
    /// measures the most a server answers.
    /// </param>
    public static async Task<ReadLoad> RunAsync(Uri grpc, string method, IMessage request, string accessToken, int connections, int streams, TimeSpan duration, int? rate, int serverPid, CancellationToken ct)
    {
        var body = Path.GetTempFileName();
        var log = Path.GetTempFileName();
        try
        {
            var message = request.ToByteArray();
            var reply = await ProbeAsync(grpc, method, message, accessToken, ct);
            var framed = new byte[5 + message.Length];
            BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), message.Length);
            message.CopyTo(framed, 5);
            await File.WriteAllBytesAsync(body, framed, ct);

            var cpuBefore = ProcFs.CpuSeconds(serverPid);
            var h2load = await ProgramRun.RunAsync(new ProcessStartInfo(Command,
            [
                "-c", connections.ToString(CultureInfo.InvariantCulture), "-m", streams.ToString(CultureInfo.InvariantCulture),
                "-D", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture), "--warm-up-time=2",
                "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers", "-H", $"authorization: Bearer {accessToken}",
                $"--log-file={log}", new Uri(grpc, method).ToString(),
                .. rate is { } total ? [$"--rps={total / connections}"] : Array.Empty<string>(),
            ]), ct);
            var output = h2load.Output;
            var cpu = ProcFs.CpuSeconds(serverPid) - cpuBefore;
            if (h2load.Code != 0 || RequestsLine().Match(output) is not { Success: true } requests)
            {
                throw new InvalidOperationException($"{Command} failed ({h2load.Code}): {output}{h2load.Errors}");
            }

            // start µs, HTTP status, µs until the end of the response
            var latencies = File.ReadLines(log)
                .Select(line => line.Split('\t'))
                .Where(columns => columns.Length >= 3 && columns[1] == "200")
                .Select(columns => long.Parse(columns[2], CultureInfo.InvariantCulture))
                .Order()
                .ToArray();
            if (latencies.Length == 0)
            {
                throw new InvalidOperationException($"{Command} logged no successful request: {output}");
            }
            var achieved = double.Parse(RateLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            var done = long.Parse(requests.Groups["done"].Value, CultureInfo.InvariantCulture);
            // Each successful reply is a gRPC frame (5 bytes) and the message; an error has none.
            var data = long.Parse(DataLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
            if (data < done * (5L + reply))
            {
                throw new InvalidOperationException(
                    $"{Command}: about {done - data / (5 + reply)} of {done} replies carried no message: gRPC errors, which it counts as successes. {output}");
            }
            return new ReadLoad(
                achieved,
                Percentile(latencies, 0.50) / 1000.0,
                Percentile(latencies, 0.99) / 1000.0,
                latencies[^1] / 1000.0,
                long.Parse(requests.Groups["failed"].Value, CultureInfo.InvariantCulture) + long.Parse(requests.Groups["errored"].Value, CultureInfo.InvariantCulture),
                // The warm-up's requests cost CPU too: divide by everything done, warm-up included.
                cpu * 1e6 / Math.Max(1, done + (long)(achieved * 2)),
                rate is { } offered && latencies[^1] >= streams / 2.0 / (offered / connections) * 1e6);
        }
        finally
        {
            File.Delete(body);
            File.Delete(log);
        }
    }

    /// <summary>The request through a gRPC client, as the load will send it: its reply's size, or the error that every request of the load would get.</summary>
    private static async Task<int> ProbeAsync(Uri grpc, string method, byte[] request, string accessToken, CancellationToken ct)
    {
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var path = method.Split('/', StringSplitOptions.RemoveEmptyEntries);
        using var channel = GrpcChannel.ForAddress(grpc);
        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(
            new Method<byte[], byte[]>(MethodType.Unary, path[0], path[1], bytes, bytes), null,
            new CallOptions(new Metadata { { "authorization", $"Bearer {accessToken}" } }, cancellationToken: ct), request);
        return reply.Length;
    }

    private static long Percentile(long[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    [GeneratedRegex(@"requests: \d+ total, \d+ started, (?<done>\d+) done, \d+ succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"finished in [^,]+, ([\d.]+) req/s")]
    private static partial Regex RateLine();

    [GeneratedRegex(@"traffic: .*\((\d+)\) data")]
    private static partial Regex DataLine();
}
