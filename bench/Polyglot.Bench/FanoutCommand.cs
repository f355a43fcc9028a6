using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Realtime.V1;

using RealtimeClient = Polyglot.Contracts.Realtime.V1.Realtime.RealtimeClient;

namespace Polyglot.Bench;

public sealed class FanoutSettings : TargetSettings
{
    [CommandOption("-s|--subscribers <S>"), Description("Subscribers of the one board channel.")]
    public int Subscribers { get; init; } = 1000;

    [CommandOption("-m|--connections <M>"), Description("HTTP/2 connections the subscribers' streams share.")]
    public int Connections { get; init; } = 10;

    [CommandOption("-r|--rate <EVENTS_PER_SECOND>"), Description("Changes committed on crud per second (each creates a card: one event).")]
    public int Rate { get; init; } = 100;

    [CommandOption("-e|--events <E>"), Description("Changes to commit in all.")]
    public int Events { get; init; } = 1000;

    [CommandOption("--warmup <E>"), Description("Changes committed and delivered before measuring (JIT, connection pools).")]
    public int Warmup { get; init; } = 200;

    [CommandOption("--write-delays <MS>"), Description(
        "With --start-realtime: realtime's Hub:WriteDelay, in milliseconds; several (0,1,5,20) run the fanout once each, " +
        "a realtime of its own per delay, and chart CPU per delivery against p99.")]
    public string WriteDelays { get; init; } = "0";

    public int[] WriteDelaysMs => [.. WriteDelays.Split(',').Select(d => int.Parse(d, System.Globalization.CultureInfo.InvariantCulture))];

    public override ValidationResult Validate() =>
        Subscribers < 1 || Connections < 1 || Rate < 1 || Events < 1 || Warmup < 0
            ? ValidationResult.Error("--subscribers, --connections, --rate and --events must be positive, --warmup 0 or more.")
            : !WriteDelays.Split(',').All(d => int.TryParse(d, out var ms) && ms is >= 0 and <= 1000)
                ? ValidationResult.Error("--write-delays must be milliseconds from 0 to 1000, separated by commas.")
                : WriteDelays != "0" && !StartRealtime
                    ? ValidationResult.Error("--write-delays needs --start-realtime: the app host's realtime has its own settings.")
                    : ValidationResult.Success();
}

/// <summary>
/// Fan-out to S subscribers of one board. Against the app host, through the whole split: cards
/// created on crud (real commits) travel through the outbox relay, RabbitMQ and realtime, and
/// latency runs from commit (the event's occurred_at, stamped in the committing transaction) to
/// arrival. With a realtime of its own, the benchmark publishes to the bus itself and latency
/// runs from publish. Server CPU is realtime's own, from its /stats, over the measured part.
/// </summary>
public sealed class FanoutCommand : AsyncCommand<FanoutSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, FanoutSettings settings, CancellationToken ct)
    {
        var runs = new List<Result>();
        foreach (var writeDelay in settings.WriteDelaysMs)
        {
            runs.Add(await MeasureAsync(settings, writeDelay, ct));
            await runs[^1].SaveAndShowAsync(settings.Out);
        }
        if (runs.Count > 1)
        {
            WriteDelayChart(runs, Path.Combine(settings.Out, $"fanout-{runs[0].StartedAt:yyyyMMdd-HHmmss}-write-delays.svg"));
        }
        return runs.All(r => r.Figures["deliveriesMissing"] == 0 && r.Figures["deliveriesRepeated"] == 0 && r.Figures["streamsEnded"] == 0) ? 0 : 1;
    }

    private static async Task<Result> MeasureAsync(FanoutSettings settings, int writeDelayMs, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        await using var target = await Target.OpenAsync(settings, ct, new() { ["Hub__WriteDelay"] = TimeSpan.FromMilliseconds(writeDelayMs).ToString() });
        await using IEventSource source = target.Bus is { } bus ? await BusEvents.CreateAsync(bus, ct) : await CrudEvents.CreateAsync(settings.CrudChannel(), ct);

        var connections = Connections.Open(target.RealtimeGrpc, settings.Connections, target.AccessToken);
        var clients = connections.Select(c => new RealtimeClient(c)).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var latency = new LongConcurrentHistogram(1, TimeStamp.Hours(1), 3);
        var measuring = 0; // set once the warm-up has arrived everywhere
        var deliveries = 0L;
        var repeated = 0L; // at or before a position the subscriber had: a duplicate, or out of order
        var ended = 0; // streams that ended before their last event (cut off, or the server gone)
        var warm = new CountdownEvent(settings.Subscribers);
        var done = new CountdownEvent(settings.Subscribers);

        var subscribers = new List<Task>(settings.Subscribers);
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"Opening {settings.Subscribers:N0} subscribers of board:{source.BoardId}", maxValue: settings.Subscribers);
            for (var i = 0; i < settings.Subscribers; i++)
            {
                var call = clients[i % clients.Length].Subscribe(new SubscribeRequest { Channel = $"board:{source.BoardId}" }, cancellationToken: stop.Token);
                if (!await call.ResponseStream.MoveNext(ct))
                {
                    throw new InvalidOperationException("A subscription did not confirm.");
                }
                subscribers.Add(ReceiveAsync(call));
                task.Increment(1);
            }
        });

        async Task ReceiveAsync(AsyncServerStreamingCall<SubscribeResponse> call)
        {
            using (call)
            {
                var cardsSeen = 0;
                var last = 0L;
                try
                {
                    while (await call.ResponseStream.MoveNext(stop.Token))
                    {
                        var integrationEvent = call.ResponseStream.Current.Event;
                        if (integrationEvent?.PayloadCase != IntegrationEvent.PayloadOneofCase.CardCreated)
                        {
                            continue;
                        }
                        if (integrationEvent.Position <= last)
                        {
                            Interlocked.Increment(ref repeated);
                            continue;
                        }
                        last = integrationEvent.Position;
                        if (Volatile.Read(ref measuring) == 1)
                        {
                            var microseconds = (DateTimeOffset.UtcNow - integrationEvent.OccurredAt.ToDateTimeOffset()).Ticks / 10;
                            latency.RecordValue(Math.Max(microseconds, 1));
                            Interlocked.Increment(ref deliveries);
                        }
                        if (++cardsSeen == settings.Warmup)
                        {
                            warm.Signal();
                        }
                        if (cardsSeen == settings.Warmup + settings.Events)
                        {
                            done.Signal();
                        }
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
                {
                    return;
                }
                catch (RpcException ex)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]A subscriber's stream ended: {ex.Status.StatusCode} {ex.Status.Detail}[/]");
                }
                // Ended before its last event: counted, and no wait is left hanging on it.
                if (cardsSeen < settings.Warmup + settings.Events)
                {
                    Interlocked.Increment(ref ended);
                    if (cardsSeen < settings.Warmup)
                    {
                        warm.Signal();
                    }
                    done.Signal();
                }
            }
        }

        if (settings.Warmup > 0)
        {
            await AnsiConsole.Status().StartAsync($"Warming up: {settings.Warmup} events to every subscriber", async _ =>
            {
                await source.PublishAsync(settings.Warmup, settings.Rate, null, ct);
                await Task.Run(() => warm.Wait(ct), ct);
            });
        }

        var before = await RealtimeStats.ReadAsync(target, collect: false, ct);
        var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        Volatile.Write(ref measuring, 1);
        var clock = Stopwatch.StartNew();
        TimeSpan publishing = default;
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"Committing {settings.Events:N0} events at {settings.Rate}/s for {settings.Subscribers:N0} subscribers", maxValue: settings.Events);
            await source.PublishAsync(settings.Events, settings.Rate, task, ct);
            publishing = clock.Elapsed;
            await Task.Run(() => done.Wait(TimeSpan.FromMinutes(5), ct), ct);
        });
        var elapsed = clock.Elapsed;
        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalSeconds;
        var after = await RealtimeStats.ReadAsync(target, collect: false, ct);

        await stop.CancelAsync();
        await Task.WhenAll(subscribers);
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        var delivered = Interlocked.Read(ref deliveries);
        var expected = (long)settings.Events * settings.Subscribers;
        var cpu = after.CpuSeconds - before.CpuSeconds;
        return new Result(
            "fanout",
            started,
            HoldCommand.CommandLine(),
            Machine.Current(),
            new Dictionary<string, object>
            {
                ["subscribers"] = settings.Subscribers,
                ["connections"] = settings.Connections,
                ["rateEventsPerSecond"] = settings.Rate,
                ["events"] = settings.Events,
                ["warmupEvents"] = settings.Warmup,
                ["realtime"] = target.Bus is null ? "app host" : "started by the benchmark",
                ["writeDelayMs"] = writeDelayMs,
                ["latencyFrom"] = source.LatencyFrom,
            },
            new Dictionary<string, double>
            {
                ["eventsPerSecond"] = settings.Events / publishing.TotalSeconds,
                ["deliveries"] = delivered,
                ["deliveriesMissing"] = expected - delivered,
                ["deliveriesRepeated"] = Interlocked.Read(ref repeated),
                ["streamsEnded"] = Volatile.Read(ref ended),
                ["deliveriesPerSecond"] = delivered / elapsed.TotalSeconds,
                ["serverCpuSeconds"] = cpu,
                ["serverCpuSecondsPerMillionDeliveries"] = cpu / delivered * 1e6,
                ["deliveriesPerServerCpuSecond"] = delivered / cpu,
                ["latencyP50Ms"] = latency.GetValueAtPercentile(50) / 1000.0,
                ["latencyP99Ms"] = latency.GetValueAtPercentile(99) / 1000.0,
                ["latencyMaxMs"] = latency.GetMaxValue() / 1000.0,
                ["clientWorkingSetMiB"] = Environment.WorkingSet / 1048576.0,
                // Whether the client kept up: its CPU over the measured part, in cores (2 would be this whole machine).
                ["clientCpuCores"] = clientCpu / elapsed.TotalSeconds,
                ["serverCpuCores"] = cpu / elapsed.TotalSeconds,
            });
    }

    /// <summary>What each write delay buys: realtime CPU per delivery against p99 latency, one point per delay.</summary>
    private static void WriteDelayChart(List<Result> runs, string path)
    {
        // Arial: its metrics are what the exporter measures with, and browsers have a metric twin of it.
        var model = new PlotModel { Title = "Write delay: CPU per delivery against p99", Background = OxyColors.White, DefaultFont = "Arial" };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "publish→subscriber p99 (ms)", Minimum = 0, MaximumPadding = 0.15 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "realtime CPU per delivery (µs)", Minimum = 0, MaximumPadding = 0.15, AxisTitleDistance = 12 });
        var series = new ScatterSeries { MarkerType = MarkerType.Circle, MarkerSize = 5 };
        series.Points.AddRange(runs.Select(r => new ScatterPoint(r.Figures["latencyP99Ms"], r.Figures["serverCpuSecondsPerMillionDeliveries"])));
        model.Series.Add(series);
        foreach (var run in runs)
        {
            model.Annotations.Add(new OxyPlot.Annotations.PointAnnotation
            {
                X = run.Figures["latencyP99Ms"],
                Y = run.Figures["serverCpuSecondsPerMillionDeliveries"],
                Text = $"{run.Parameters["writeDelayMs"]} ms",
            });
        }
        using var file = File.Create(path);
        new SvgExporter { Width = 780, Height = 400 }.Export(model, file);
        AnsiConsole.MarkupLineInterpolated($"[grey]Saved {path}[/]");
    }
}
