using Polyglot.Contracts.Realtime.V1;

using RealtimeClient = Polyglot.Contracts.Realtime.V1.Realtime.RealtimeClient;

namespace Polyglot.Bench;

public sealed class HoldSettings : TargetSettings
{
    [CommandOption("-n|--subscriptions <N>"), Description("Subscriptions to open and hold.")]
    public int Subscriptions { get; init; } = 10_000;

    [CommandOption("-m|--connections <M>"), Description("HTTP/2 connections the gRPC streams share.")]
    public int Connections { get; init; } = 10;

    [CommandOption("--channels <C>"), Description("Distinct board channels the subscriptions spread over.")]
    public int Channels { get; init; } = 100;

    [CommandOption("--hold <SECONDS>"), Description("How long to hold them open before measuring.")]
    public int HoldSeconds { get; init; } = 5;

    [CommandOption("-t|--transport <TRANSPORT>"), Description("grpc (streams over --connections HTTP/2 connections) or websocket (one socket each, sharded across client processes).")]
    public string Transport { get; init; } = "grpc";

    [CommandOption("--processes <P>"), Description("WebSocket client processes (default: one per 15,000 sockets; a process holds at most its open-file limit, ~19,900 at 20,000).")]
    public int? Processes { get; init; }

    [CommandOption("--checkpoints <N,N>"), Description("gRPC: counts at which opening pauses to read realtime's memory per subscription so far, e.g. 100000,500000.")]
    public string Checkpoints { get; init; } = "";

    [CommandOption("--baseline"), Description("Then hold as many streams on bare Grpc.AspNetCore with the same stream shape (Polyglot.Bench.Baseline), and report realtime's memory per stream as a ratio of it (gRPC only).")]
    public bool Baseline { get; init; }

    public override ValidationResult Validate() =>
        Subscriptions < 1 || Connections < 1 || Channels < 1 || HoldSeconds < 0 || Processes < 1
            ? ValidationResult.Error("--subscriptions, --connections, --channels and --processes must be positive, --hold 0 or more.")
            : Transport is not ("grpc" or "websocket")
                ? ValidationResult.Error("--transport is grpc or websocket.")
                : (Baseline || CheckpointCounts.Count > 0) && Transport != "grpc"
                    ? ValidationResult.Error("--baseline and --checkpoints measure gRPC streams only.")
                    : CheckpointCounts.Any(c => c < 1 || c >= Subscriptions)
                        ? ValidationResult.Error("--checkpoints are counts between 1 and --subscriptions.")
                        : ValidationResult.Success();

    public IReadOnlyList<int> CheckpointCounts =>
        [.. Checkpoints.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).Order()];
}

/// <summary>
/// Idle subscriptions: what holding one costs realtime. Memory figures are realtime's own
/// (working set and GC heap, after a full collection) before and after, divided by N. With
/// <c>--baseline</c>, the same streams then on bare Grpc.AspNetCore, so the ratio comes from one run.
/// </summary>
public sealed class HoldCommand : AsyncCommand<HoldSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, HoldSettings settings, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var channels = Enumerable.Range(0, settings.Channels).Select(_ => $"board:{Guid.NewGuid()}").ToArray();
        Held realtime, baseline = null!;
        string? token;
        await using (var target = await Target.OpenAsync(settings, ct))
        {
            token = target.AccessToken;
            realtime = await HoldAsync(target, settings, channels, ct);
        }
        if (settings.Baseline)
        {
            await using var bare = await AnsiConsole.Status().StartAsync("Starting the baseline (bare Grpc.AspNetCore, Release)", _ => Target.StartBaselineAsync(token));
            baseline = await HoldAsync(bare, settings, channels, ct);
        }

        var figures = new Dictionary<string, double>
        {
            ["subscriptionsHeld"] = realtime.Count,
            ["openSeconds"] = realtime.OpenSeconds,
            ["subscriptionsOpenedPerSecond"] = settings.Subscriptions / realtime.OpenSeconds,
            ["serverWorkingSetBytesPerSubscription"] = realtime.WorkingSetBytesPerSubscription,
            ["serverGcHeapBytesPerSubscription"] = realtime.GcHeapBytesPerSubscription,
            ["serverWorkingSetMiBBefore"] = realtime.Before.WorkingSetBytes / 1048576.0,
            ["serverWorkingSetMiBAfter"] = realtime.After.WorkingSetBytes / 1048576.0,
            ["clientWorkingSetMiB"] = Environment.WorkingSet / 1048576.0,
        };
        foreach (var checkpoint in realtime.Checkpoints)
        {
            figures[$"at{checkpoint.Count}.openSeconds"] = checkpoint.OpenSeconds;
            figures[$"at{checkpoint.Count}.serverWorkingSetBytesPerSubscription"] = checkpoint.WorkingSetBytesPerSubscription;
            figures[$"at{checkpoint.Count}.serverGcHeapBytesPerSubscription"] = checkpoint.GcHeapBytesPerSubscription;
        }
        if (realtime.WhileHeld.Count > 1)
        {
            figures["heldWorkingSetMiBFirst"] = realtime.WhileHeld[0].WorkingSetBytes / 1048576.0;
            figures["heldWorkingSetMiBMax"] = realtime.WhileHeld.Max(s => s.WorkingSetBytes) / 1048576.0;
            figures["heldWorkingSetMiBLast"] = realtime.WhileHeld[^1].WorkingSetBytes / 1048576.0;
        }
        if (settings.Baseline)
        {
            figures["baseline.subscriptionsHeld"] = baseline.Count;
            figures["baseline.serverWorkingSetBytesPerSubscription"] = baseline.WorkingSetBytesPerSubscription;
            figures["baseline.serverGcHeapBytesPerSubscription"] = baseline.GcHeapBytesPerSubscription;
            figures["workingSetPerSubscriptionOverBaseline"] = realtime.WorkingSetBytesPerSubscription / baseline.WorkingSetBytesPerSubscription;
            figures["gcHeapPerSubscriptionOverBaseline"] = realtime.GcHeapBytesPerSubscription / baseline.GcHeapBytesPerSubscription;
        }
        await new Result(
            "hold",
            started,
            CommandLine(),
            Machine.Current(),
            new Dictionary<string, object>
            {
                ["subscriptions"] = settings.Subscriptions,
                ["transport"] = settings.Transport,
                ["connections"] = settings.Transport == "websocket" ? settings.Subscriptions : settings.Connections,
                ["channels"] = settings.Channels,
                ["holdSeconds"] = settings.HoldSeconds,
                ["realtime"] = settings.StartRealtime ? "started by the benchmark" : "app host",
                ["baseline"] = settings.Baseline ? "bare Grpc.AspNetCore, the same stream shape and bearer token, run after realtime stopped" : "none",
            },
            figures).SaveAndShowAsync(settings.Out);
        return realtime.Count == settings.Subscriptions && (!settings.Baseline || baseline.Count == settings.Subscriptions) ? 0 : 1;
    }

    /// <summary>Opens the subscriptions on the target, holds them, and reads its memory (after a full collection) before and after.</summary>
    private static async Task<Held> HoldAsync(Target target, HoldSettings settings, string[] channels, CancellationToken ct)
    {
        var before = await RealtimeStats.ReadAsync(target, collect: true, ct);
        var checkpoints = new List<Held>();
        var opening = Stopwatch.StartNew();
        var subscriptions = settings.Transport == "websocket"
            ? await OpenWebSocketsAsync(target, settings, channels, ct)
            : await OpenGrpcStreamsAsync(target, settings, channels, async opened =>
            {
                opening.Stop(); // a full collection on a large heap is not opening time
                var now = await RealtimeStats.ReadAsync(target, collect: true, ct);
                checkpoints.Add(new Held(now.Subscriptions - before.Subscriptions, opening.Elapsed.TotalSeconds, before, now, []));
                opening.Start();
            }, ct);
        opening.Stop();

        // Sampled while held (no forced collection): memory must stay flat.
        var samples = new List<RealtimeStats>();
        await AnsiConsole.Status().StartAsync($"Holding for {settings.HoldSeconds} s", async _ =>
        {
            var until = Stopwatch.StartNew();
            do
            {
                samples.Add(await RealtimeStats.ReadAsync(target, collect: false, ct));
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Max(0, settings.HoldSeconds - until.Elapsed.TotalSeconds))), ct);
            }
            while (until.Elapsed.TotalSeconds < settings.HoldSeconds);
        });
        var after = await RealtimeStats.ReadAsync(target, collect: true, ct);
        await subscriptions.DisposeAsync();
        return new Held(after.Subscriptions - before.Subscriptions, opening.Elapsed.TotalSeconds, before, after, samples) { Checkpoints = checkpoints };
    }

    private sealed record Held(int Count, double OpenSeconds, RealtimeStats Before, RealtimeStats After, IReadOnlyList<RealtimeStats> WhileHeld)
    {
        public IReadOnlyList<Held> Checkpoints { get; init; } = [];

        public double WorkingSetBytesPerSubscription => (After.WorkingSetBytes - Before.WorkingSetBytes) / (double)Count;

        public double GcHeapBytesPerSubscription => (After.GcHeapBytes - Before.GcHeapBytes) / (double)Count;
    }

    /// <param name="atCheckpoint">Called with opening paused at each of the settings' checkpoint counts.</param>
    private static async Task<IAsyncDisposable> OpenGrpcStreamsAsync(Target target, HoldSettings settings, string[] channels, Func<int, Task> atCheckpoint, CancellationToken ct)
    {
        var connections = Connections.Open(target.RealtimeGrpc, settings.Connections, target.AccessToken);
        var clients = connections.Select(c => new RealtimeClient(c)).ToArray();
        var calls = new List<AsyncServerStreamingCall<SubscribeResponse>>(settings.Subscriptions);
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"Opening {settings.Subscriptions:N0} gRPC streams over {settings.Connections} connections", maxValue: settings.Subscriptions);
            // A bounded number in flight: opening 100,000 at once would only queue in the client.
            using var gate = new SemaphoreSlim(1000);
            var from = 0;
            foreach (var to in settings.CheckpointCounts.Append(settings.Subscriptions))
            {
                await Task.WhenAll(Enumerable.Range(from, to - from).Select(OpenAsync));
                if (to < settings.Subscriptions)
                {
                    await atCheckpoint(to);
                }
                from = to;
            }

            async Task OpenAsync(int i)
            {
                await gate.WaitAsync(ct);
                try
                {
                    var call = clients[i % clients.Length].Subscribe(new SubscribeRequest { Channel = channels[i % channels.Length] }, cancellationToken: ct);
                    if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.MessageCase != SubscribeResponse.MessageOneofCase.Subscribed)
                    {
                        throw new InvalidOperationException("A subscription did not confirm.");
                    }
                    lock (calls)
                    {
                        calls.Add(call);
                    }
                    task.Increment(1);
                }
                finally
                {
                    gate.Release();
                }
            }
        });
        return new Closing(() =>
        {
            calls.ForEach(call => call.Dispose());
            Array.ForEach(connections, connection => connection.Dispose());
            return Task.CompletedTask;
        });
    }

    /// <summary>One socket per subscription, opened by client processes of their own (<see cref="WebSocketShardCommand"/>).</summary>
    private static async Task<IAsyncDisposable> OpenWebSocketsAsync(Target target, HoldSettings settings, string[] channels, CancellationToken ct)
    {
        var processes = settings.Processes ?? (settings.Subscriptions + 14_999) / 15_000;
        var channelsFile = Path.GetTempFileName();
        await File.WriteAllLinesAsync(channelsFile, channels, ct);
        var url = new UriBuilder(target.RealtimeHttp) { Scheme = "ws", Path = "/ws" }.Uri.ToString();
        var shards = new List<Process>();
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"Opening {settings.Subscriptions:N0} WebSockets from {processes} client processes", maxValue: settings.Subscriptions);
            var opened = new int[processes];
            await Task.WhenAll(Enumerable.Range(0, processes).Select(async p =>
            {
                var first = (int)((long)settings.Subscriptions * p / processes);
                var count = (int)((long)settings.Subscriptions * (p + 1) / processes) - first;
                var shard = WebSocketShardCommand.Start(url, channelsFile, first, count, target.AccessToken);
                lock (shards)
                {
                    shards.Add(shard);
                }
                while (await shard.StandardOutput.ReadLineAsync(ct) is { } line && line != "ready")
                {
                    opened[p] = int.Parse(line["opened ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                    task.Value = opened.Sum();
                }
                if (shard.HasExited && shard.ExitCode != 0)
                {
                    throw new InvalidOperationException($"WebSocket client process {p} failed with exit code {shard.ExitCode}.");
                }
            }));
        });
        return new Closing(async () =>
        {
            foreach (var shard in shards)
            {
                shard.StandardInput.Close(); // the shard's signal to close its sockets and exit
            }
            foreach (var shard in shards)
            {
                await shard.WaitForExitAsync();
                shard.Dispose();
            }
            File.Delete(channelsFile);
        });
    }

    private sealed class Closing(Func<Task> close) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await close();
    }

    internal static string CommandLine() => "dotnet run -c Release --project bench/Polyglot.Bench -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
}
