using Google.Protobuf;
using Polyglot.Contracts.Boards.V1;

namespace Polyglot.Bench.Cost;

public sealed class CostSettings : ResultSettings
{
    [CommandOption("--levels <N,N,...>"), Description("Subscriptions held while the CRUD reads are measured.")]
    public string Levels { get; init; } = "0,1000,10000,50000";

    [CommandOption("--creates <N>"), Description("Creates per hop measurement (one at a time, then at a steady rate).")]
    public int Creates { get; init; } = 1000;

    [CommandOption("--rate <EVENTS_PER_SECOND>"), Description("Events streamed to the held subscriptions while the CRUD side is measured (creates on crud, round-robin over the boards).")]
    public int Rate { get; init; } = 20;

    [CommandOption("--getcard-rate <REQUESTS_PER_SECOND>"), Description("GetCard's offered rate for the latency compared at one rate (h2load --rps): below what either topology answers at most, so that p99 is not a queue's length.")]
    public int GetCardRate { get; init; } = 10_000;

    [CommandOption("--boards <N>"), Description("Boards the subscriptions and the events spread over.")]
    public int Boards { get; init; } = 100;

    [CommandOption("--seconds <S>"), Description("Length of each measured window (fan-out, GetCard, ListCards).")]
    public int Seconds { get; init; } = 8;

    [CommandOption("--subscribers <N>"), Description("Resuming subscribers during the failure runs.")]
    public int Subscribers { get; init; } = 1000;

    [CommandOption("--rounds <N>"), Description("Times both topologies are measured, the order alternating (the monolith first in odd rounds), so that neither always runs first on a machine whose speed drifts.")]
    public int Rounds { get; init; } = 2;

    public int[] HeldLevels => [.. Levels.Split(',').Select(int.Parse)];

    public override ValidationResult Validate() =>
        Creates < 1 || Rate < 1 || GetCardRate < 1 || GetCardRate % CostCommand.RateConnections != 0 || Boards < 1 || Seconds < 1 || Subscribers < 1 || Rounds < 1 || HeldLevels.Any(l => l < 0)
            ? ValidationResult.Error($"--creates, --rate, --boards, --seconds, --subscribers and --rounds must be positive, --getcard-rate a positive multiple of {CostCommand.RateConnections} (h2load's connections, each offered its share), --levels 0 or more.")
            : ValidationResult.Success();
}

/// <summary>
/// What the split costs: each topology started in turn the same way (Release processes,
/// SQLite, no dashboard), the same workloads run against it, the figures side by side —
/// what you operate, idle memory, the hop, the CRUD side under streaming load, the fan-out's
/// CPU, and what a fault does to clients — once per round, the order alternating.
/// </summary>
public sealed class CostCommand : AsyncCommand<CostSettings>
{
    /// <summary>
    /// h2load's shape for the CRUD reads as fast as crud answers: 8 connections × 8 streams, 64
    /// requests always in flight. At the offered rate, 40 connections × 100 streams: 100 is the
    /// split crud's limit (Kestrel's default), and more would only queue inside nghttp2, as
    /// untimed. A request waits for a stream, unseen, only behind a reply that takes streams ×
    /// connections ÷ rate (400 ms at 10,000/s, where a connection's share of h2load's 10 ms batch
    /// is 2–3 requests). With 8 × 8 at 10,000/s, part of every batch of 12–13 waited, and so did
    /// everything after a 6 ms stall.
    /// </summary>
    public const int LoadConnections = 8, LoadStreams = 8, RateConnections = 40, RateStreams = 100;

    public override async Task<int> ExecuteAsync(CommandContext context, CostSettings settings, CancellationToken ct)
    {
        await H2Load.EnsureInstalledAsync();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var rounds = new List<CostRound>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            Topology[] order = round % 2 == 1 ? [Topology.Monolith, Topology.Split] : [Topology.Split, Topology.Monolith];
            var measured = new Dictionary<Topology, TopologyCost>();
            foreach (var topology in order)
            {
                measured[topology] = await AnsiConsole.Status().StartAsync($"round {round}, {topology}: starting", status => MeasureAsync(topology, settings, status, ct));
                AnsiConsole.MarkupLineInterpolated($"round {round}: [green]{topology}[/] measured ({clock.Elapsed:mm\\:ss} so far)");
            }
            rounds.Add(new CostRound(round, order[0], measured[Topology.Monolith], measured[Topology.Split]));
        }
        await new CostReport(started, HoldCommand.CommandLine(), Machine.Current(), settings, rounds, clock.Elapsed).SaveAndShowAsync(settings.Out);
        return 0;
    }

    private static async Task<TopologyCost> MeasureAsync(Topology topology, CostSettings settings, StatusContext status, CancellationToken ct)
    {
        await using var system = await TopologyUnderTest.StartAsync(topology);
        status.Status($"{topology}: idle footprint and what it takes to operate");
        await Task.Delay(TimeSpan.FromSeconds(3), ct); // past start-up's allocations
        var idle = Footprint.Measure(system);
        var operated = Operated.Measure(system);

        using var workload = await Workload.CreateAsync(system.Crud, settings.Boards, ct);
        status.Status($"{topology}: the hop, {settings.Creates} creates one at a time");
        await Hop.MeasureAsync(system, workload, 200, rate: 0, null, ct); // warm-up: JIT, pools
        var oneAtATime = await Hop.MeasureAsync(system, workload, settings.Creates, rate: 0, null, ct);
        const int SteadyRate = 50;
        status.Status($"{topology}: the hop, {settings.Creates} creates at {SteadyRate}/s");
        var steady = await Hop.MeasureAsync(system, workload, settings.Creates, SteadyRate, null, ct);
        status.Status($"{topology}: starting {settings.Creates} subscriptions one at a time, as a service and as a member");
        var (asService, asMember) = await Subscribes.MeasureAsync(system, settings.Creates, ct);

        status.Status($"{topology}: warming the CRUD read path");
        var getCard = new GetCardRequest { Id = workload.SampleCard.Id };
        var listCards = new ListCardsRequest { ColumnId = workload.SampleColumn, PageSize = 20 };
        var crudPid = system.Crud.ProcessId!.Value;
        var token = await LocalAuth.Shared.AccessTokenAsync(system.Crud.HttpAddress, ct);
        await H2Load.RunAsync(system.Crud.GrpcAddress, H2Load.GetCardPath, getCard, token, LoadConnections, LoadStreams, TimeSpan.FromSeconds(10), rate: null, crudPid, ct);

        var underLoad = new List<UnderLoad>();
        await using (var held = new HeldSubscriptions())
        {
            foreach (var level in settings.HeldLevels)
            {
                status.Status($"{topology}: opening subscriptions up to {level:N0}");
                await held.GrowToAsync(system.Streaming.GrpcAddress, await LocalAuth.Shared.AccessTokenAsync(system.Crud.HttpAddress, ct), workload.Channels, level, null, ct);
                using var streamStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var streaming = workload.StreamEventsAsync(settings.Rate, streamStop.Token);
                await Task.Delay(TimeSpan.FromSeconds(3), ct);

                status.Status($"{topology}: {level:N0} held, {settings.Rate} events/s: the fan-out");
                IReadOnlyDictionary<int, double> SystemCpuSeconds() => ProcFs.CpuSecondsOfRunning(system.Processes().Select(p => p.ProcessId));
                var (deliveriesBefore, streamingCpuBefore, systemCpuBefore) = (held.Deliveries, ProcFs.CpuSeconds(system.Streaming.ProcessId!.Value), SystemCpuSeconds());
                var window = Stopwatch.StartNew();
                await Task.Delay(TimeSpan.FromSeconds(settings.Seconds), ct);
                var deliveries = held.Deliveries - deliveriesBefore;
                var perDelivery = (double cpuSeconds) => deliveries == 0 ? 0 : cpuSeconds * 1e6 / deliveries;
                var streamingCpu = ProcFs.CpuSeconds(system.Streaming.ProcessId!.Value) - streamingCpuBefore;
                // The broker's short-lived helpers come and go: one begun in the window counts whole; one that
                // ended in it is left out, its CPU in the window too (a helper's few ms: a small undercount).
                var systemCpu = SystemCpuSeconds().Sum(p => p.Value - systemCpuBefore.GetValueOrDefault(p.Key));
                var deliveriesPerSecond = deliveries / window.Elapsed.TotalSeconds;

                Task<ReadLoad> Read(string what, string path, IMessage request, int? rate)
                {
                    status.Status($"{topology}: {level:N0} held: {what}");
                    var (connections, streams) = rate is null ? (LoadConnections, LoadStreams) : (RateConnections, RateStreams);
                    return H2Load.RunAsync(system.Crud.GrpcAddress, path, request, token, connections, streams, TimeSpan.FromSeconds(settings.Seconds), rate, crudPid, ct);
                }
                var getAtRate = await Read($"GetCard at {settings.GetCardRate:N0}/s", H2Load.GetCardPath, getCard, settings.GetCardRate);
                var get = await Read("GetCard as fast as it answers", H2Load.GetCardPath, getCard, rate: null);
                var list = await Read("ListCards as fast as it answers", ListCardsPath, listCards, rate: null);
                var getAtRateAgain = await Read($"GetCard at {settings.GetCardRate:N0}/s again", H2Load.GetCardPath, getCard, settings.GetCardRate);
                await streamStop.CancelAsync();
                await streaming;
                underLoad.Add(new UnderLoad(held.Count, deliveriesPerSecond, perDelivery(streamingCpu), perDelivery(systemCpu), getAtRate, get, list, getAtRateAgain));
            }
        }

        var (killed, redeployed) = await Failures.MeasureAsync(system, workload, settings.Subscribers, settings.Rate, status, ct);
        return new TopologyCost(topology, operated, idle, system.ServicesStartup.TotalSeconds, system.BrokerStartup.TotalSeconds,
            oneAtATime, steady, SteadyRate, asService, asMember, underLoad, killed, redeployed);
    }

    private static readonly string ListCardsPath = $"/{Cards.Descriptor.FullName}/ListCards";
}
