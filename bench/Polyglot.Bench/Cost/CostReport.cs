using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Polyglot.Bench.Cost;

/// <summary>
/// The cost of the split, side by side: Markdown, JSON (stable names) and SVG charts, with the
/// machine and the command. A figure that differs between rounds shows each round's, in order.
/// </summary>
public sealed class CostReport(DateTimeOffset startedAt, string command, Machine machine, CostSettings settings, IReadOnlyList<CostRound> rounds, TimeSpan took)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The first round's monolith: the shape (levels, counts) every round shares.</summary>
    private TopologyCost Shape => rounds[0].Monolith;

    public async Task SaveAndShowAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"cost-{startedAt:yyyyMMdd-HHmmss}");
        await File.WriteAllTextAsync(stem + ".json", JsonSerializer.Serialize(new { startedAt, command, machine, took = took.TotalSeconds, rounds, thresholds = rounds.Select(Thresholds) }, Json));
        Chart($"CRUD GetCard p99 at {settings.GetCardRate:N0}/s while subscriptions are held", "p99 (ms)", c => c.GetCardAtRate.P99Ms, stem + "-getcard-p99.svg",
            floor: c => c.GetCardAtRate.MayHaveWaitedUnseen);
        Chart("CRUD GetCard throughput while subscriptions are held", "requests/s", c => c.GetCard.RequestsPerSecond, stem + "-getcard-rate.svg");
        var markdown = ToMarkdown(Path.GetFileName(stem));
        await File.WriteAllTextAsync(stem + ".md", markdown);
        Console.Out.Write(markdown); // as written: the console's own wrapping would break the tables
        AnsiConsole.MarkupLineInterpolated($"[grey]Saved {stem}.md, .json and the -*.svg charts[/]");
    }

    /// <summary>
    /// Where the monolith's CRUD p99 at the fixed rate doubles from idle, and where it passes 50 ms:
    /// between two measured levels, or beyond the last. A p99 that is a floor and stays below the
    /// mark may be above it in truth, so the threshold may sit at that level: the answer says so.
    /// </summary>
    private static IReadOnlyDictionary<string, string> Thresholds(CostRound round)
    {
        var (monolith, split) = (round.Monolith, round.Split);
        var levels = monolith.UnderLoad;
        var idle = levels[0].GetCardAtRate;
        string FirstLevel(Func<UnderLoad, bool> reached, int from = 0)
        {
            var index = levels.ToList().FindIndex(l => reached(l));
            var answer = index switch
            {
                < 0 => $"not reached up to {levels[^1].HeldSubscriptions:N0} held",
                0 => $"at {levels[0].HeldSubscriptions:N0} held already",
                _ => $"between {levels[index - 1].HeldSubscriptions:N0} and {levels[index].HeldSubscriptions:N0} held",
            };
            var floors = levels.Take(index < 0 ? levels.Count : index).Skip(from).Where(l => l.GetCardAtRate.MayHaveWaitedUnseen).Select(l => $"{l.HeldSubscriptions:N0}").ToList();
            return floors.Count == 0 ? answer : $"{answer}, unless already at {string.Join(", ", floors)} held, whose p99 is a floor";
        }
        return new Dictionary<string, string>
        {
            // Idle cannot double itself; a floor there makes twice it too low, so the doubling may come later.
            ["monolithGetCardP99AtFixedRateDoubles"] = FirstLevel(l => l.GetCardAtRate.P99Ms >= 2 * idle.P99Ms, from: 1)
                + (idle.MayHaveWaitedUnseen ? ", or later: the idle p99 it doubles from is a floor" : ""),
            ["monolithGetCardP99AtFixedRatePasses50Ms"] = FirstLevel(l => l.GetCardAtRate.P99Ms > 50),
            ["monolithGetCardRateIdle"] = Rate(monolith.UnderLoad[0]),
            ["splitGetCardRateIdle"] = Rate(split.UnderLoad[0]),
            ["monolithGetCardRateAtMostHeld"] = Rate(monolith.UnderLoad[^1]),
            ["splitGetCardRateAtMostHeld"] = Rate(split.UnderLoad[^1]),
        };

        static string Rate(UnderLoad level) => $"{level.GetCard.RequestsPerSecond:N0}/s at {level.HeldSubscriptions:N0} held";
    }

    private string ToMarkdown(string stem)
    {
        var text = new StringBuilder();
        void Line(string line = "") => text.AppendLine(line);
        void Row(string figure, Func<TopologyCost, string> value) =>
            Line($"| {figure} | {EachRound(rounds.Select(r => value(r.Monolith)))} | {EachRound(rounds.Select(r => value(r.Split)))} |");
        void Header(string title)
        {
            Line();
            Line($"#### {title}");
            Line();
            Line("| | Monolith | Split |");
            Line("|---|---:|---:|");
        }

        Line($"### What the split costs — {startedAt:yyyy-MM-dd HH:mm} UTC, {took.TotalMinutes:0.#} minutes");
        Line();
        Line($"`{command}`");
        Line();
        Line($"Machine: {machine}. Services as Release processes on loopback, SQLite, no dashboard; the load generators share the cores.");
        if (rounds.Count > 1)
        {
            Line();
            Line($"{rounds.Count} rounds: {string.Join("; ", rounds.Select(r => $"round {r.Number} measured the {r.First.ToString().ToLowerInvariant()} first"))}. A figure that differs between rounds shows each round's, in that order (round 1 · round 2 …).");
        }

        Header("What you operate");
        Row("deployables (service processes)", c => N(c.Operated.Deployables));
        Row("processes (services and servers)", c => N(c.Operated.Processes));
        Row("listening ports", c => N(c.Operated.ListeningPorts));
        Row("stateful servers (SQLite is a file)", c => N(c.Operated.StatefulServers));
        Row("Kubernetes objects (generated, PostgreSQL, 2 realtime replicas)", c => N(c.Operated.KubernetesObjects));
        Row("CPU requests / limits (cores)", c => $"{c.Operated.CpuRequestCores:0.##} / {c.Operated.CpuLimitCores:0.##}");
        Row("memory requests / limits (MiB)", c => $"{c.Operated.MemoryRequestMiB:N0} / {c.Operated.MemoryLimitMiB:N0}");

        Header("Idle footprint");
        foreach (var process in rounds.SelectMany(r => new[] { r.Monolith, r.Split }).SelectMany(c => c.Idle.PssMiBByProcess.Keys).Distinct())
        {
            Row($"PSS {process} (MiB)", c => c.Idle.PssMiBByProcess.TryGetValue(process, out var mib) ? $"{mib:0.#}" : "—");
        }
        Row("PSS services (MiB)", c => $"{c.Idle.ServicesPssMiB:0.#}");
        Row("PSS with the broker (MiB)", c => $"{c.Idle.TotalPssMiB:0.#}");
        Row("services started to healthy (s)", c => $"{c.ServicesStartupSeconds:0.0}");
        Row("broker started to ready (s)", c => c.Topology == Topology.Split ? $"{c.BrokerStartupSeconds:0.0}" : "—");

        Header($"The hop: create → event on a stream ({settings.Creates:N0} creates each)");
        Row("one at a time: p50 / p90 / p99 / max (ms)", c => Percentiles(c.HopOneAtATime));
        Row($"at {Shape.HopSteadyRate}/s: p50 / p90 / p99 / max (ms)", c => Percentiles(c.HopSteady));

        Header($"Starting a subscription, one at a time ({Shape.SubscribeAsMember.Count:N0} each): subscribe → `subscribed`");
        Row("a service to `all` (the token's check): p50 / p90 / p99 / max (ms)", c => Percentiles(c.SubscribeAsService));
        Row("a board's member to the board (+ membership, asked of crud): p50 / p90 / p99 / max (ms)", c => Percentiles(c.SubscribeAsMember));

        Header($"CRUD under streaming load (h2load {CostCommand.LoadConnections} × {CostCommand.LoadStreams} streams, at the offered rate {CostCommand.RateConnections} × {CostCommand.RateStreams}; {settings.Seconds} s; {settings.Rate} events/s over {settings.Boards} boards)");
        for (var i = 0; i < Shape.UnderLoad.Count; i++)
        {
            var level = Shape.UnderLoad[i].HeldSubscriptions;
            Row($"{level:N0} held: GetCard at {settings.GetCardRate:N0}/s offered: req/s, p50 / p99 / max (ms)", c => AtRate(c.UnderLoad[i].GetCardAtRate));
            Row($"{level:N0} held: GetCard as fast as it answers: req/s, p50 / p99 (ms)", c => Read(c.UnderLoad[i].GetCard));
            Row($"{level:N0} held: ListCards req/s, p50 / p99 (ms)", c => Read(c.UnderLoad[i].ListCards));
            Row($"{level:N0} held: GetCard at {settings.GetCardRate:N0}/s again, after the reads above: req/s, p50 / p99 / max (ms)", c => AtRate(c.UnderLoad[i].GetCardAtRateAgain));
            Row($"{level:N0} held: crud's CPU per GetCard served (the monolith's fan-out included) at {settings.GetCardRate:N0}/s / as fast as it answers (µs)",
                c => $"{c.UnderLoad[i].GetCardAtRate.ServerCpuMicrosecondsPerRequest:0} / {c.UnderLoad[i].GetCard.ServerCpuMicrosecondsPerRequest:0}");
        }

        Header("Fan-out cost");
        foreach (var level in Shape.UnderLoad.Where(l => l.HeldSubscriptions > 0))
        {
            var i = Shape.UnderLoad.ToList().IndexOf(level);
            Row($"{level.HeldSubscriptions:N0} held: deliveries/s", c => N(c.UnderLoad[i].DeliveriesPerSecond));
            Row($"{level.HeldSubscriptions:N0} held: CPU µs per delivery, streaming process / all processes", c => $"{c.UnderLoad[i].ServerCpuMicrosecondsPerDelivery:0.0} / {c.UnderLoad[i].SystemCpuMicrosecondsPerDelivery:0.0}");
        }

        Header($"Failure isolation ({settings.Subscribers:N0} resuming subscribers, GetCard every 10 ms, {settings.Rate} events/s)");
        Row("streaming side SIGKILLed and restarted: failed CRUD calls", c => N(c.StreamingKilled.FailedCrudCalls));
        Row("… seconds without CRUD", c => $"{c.StreamingKilled.SecondsWithoutCrud:0.0}");
        Row("… subscriptions cut / seconds until all resumed", c => $"{c.StreamingKilled.SubscriptionsCut:N0} / {c.StreamingKilled.SecondsUntilAllResumed:0.0}");
        Row("crud redeployed (SIGTERM, start): failed CRUD calls", c => N(c.CrudRedeployed.FailedCrudCalls));
        Row("… seconds without CRUD", c => $"{c.CrudRedeployed.SecondsWithoutCrud:0.0}");
        Row("… subscriptions cut / seconds until all resumed", c => $"{c.CrudRedeployed.SubscriptionsCut:N0} / {c.CrudRedeployed.SecondsUntilAllResumed:0.0}");
        Row("events lost / delivered twice (both faults, checked against crud's log)", c => $"{c.StreamingKilled.Lost} / {c.StreamingKilled.Duplicated}");

        Line();
        Line("#### Where the thresholds sit on this machine");
        Line();
        var thresholds = rounds.Select(Thresholds).ToList();
        foreach (var name in thresholds[0].Keys)
        {
            Line($"- {name}: {EachRound(thresholds.Select(t => t[name]))}");
        }
        Line();
        Line($"![CRUD GetCard p99 at {settings.GetCardRate:N0}/s against held subscriptions]({stem}-getcard-p99.svg)");
        Line($"![CRUD GetCard throughput against held subscriptions]({stem}-getcard-rate.svg)");
        return text.ToString();
    }

    /// <param name="floor">Whether a point is a floor (the truth may be higher): drawn over with a hollow triangle.</param>
    private void Chart(string title, string axis, Func<UnderLoad, double> value, string path, Func<UnderLoad, bool>? floor = null)
    {
        // Arial: its metrics are what the exporter measures with, and browsers have a metric twin of it.
        var model = new PlotModel { Title = title, Background = OxyColors.White, DefaultFont = "Arial" };
        // Outside the plot, with room: the SVG exporter measures text only roughly.
        model.Legends.Add(new Legend { LegendPlacement = LegendPlacement.Outside, LegendPosition = LegendPosition.RightTop, LegendSymbolLength = 24 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "subscriptions held", Minimum = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = axis, Minimum = 0, AxisTitleDistance = 12 });
        foreach (var (round, cost) in rounds.SelectMany(r => new[] { (r.Number, r.Monolith), (r.Number, r.Split) }))
        {
            var series = new LineSeries { Title = rounds.Count == 1 ? $"{cost.Topology}  " : $"{cost.Topology} {round}  ", MarkerType = MarkerType.Circle };
            series.Points.AddRange(cost.UnderLoad.Select(l => new DataPoint(l.HeldSubscriptions, value(l))));
            model.Series.Add(series);
        }
        var floors = rounds.SelectMany(r => new[] { r.Monolith, r.Split }).SelectMany(c => c.UnderLoad)
            .Where(l => floor?.Invoke(l) == true).Select(l => new ScatterPoint(l.HeldSubscriptions, value(l))).ToList();
        if (floors.Count > 0)
        {
            var marks = new ScatterSeries
            {
                Title = "≥ (a floor)  ",
                MarkerType = MarkerType.Triangle,
                MarkerSize = 7,
                MarkerFill = OxyColors.Transparent,
                MarkerStroke = OxyColors.Black,
                MarkerStrokeThickness = 1.5,
            };
            marks.Points.AddRange(floors);
            model.Series.Add(marks);
        }
        using var file = File.Create(path);
        new SvgExporter { Width = 780, Height = 400 }.Export(model, file);
    }

    /// <summary>One figure, or each round's in order when they differ.</summary>
    private static string EachRound(IEnumerable<string> values) => values.Distinct().Count() == 1 ? values.First() : string.Join(" · ", values);

    private static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percentiles(Latency h) => $"{h.P50Ms:0.0} / {h.P90Ms:0.0} / {h.P99Ms:0.0} / {h.MaxMs:0}";

    private static string Read(ReadLoad r) => $"{r.RequestsPerSecond:N0}, {r.P50Ms:0.0} / {r.P99Ms:0.0}";

    /// <summary>
    /// A fixed-rate read, flagged when it was not served at the rate: below it, crud fell behind;
    /// above it, replies to requests held from before the window came in it, after a stall as it
    /// opened. Either way its p99 is not the rate's alone. Flagged too when a request may have
    /// waited in h2load: its p99 then is a floor.
    /// </summary>
    private string AtRate(ReadLoad r) =>
        $"{Read(r)} / {r.MaxMs:0}"
        + (Math.Abs(r.RequestsPerSecond / settings.GetCardRate - 1) > 0.02 ? " (not at the rate)" : "")
        + (r.MayHaveWaitedUnseen ? " (may have waited in h2load)" : "");
}
