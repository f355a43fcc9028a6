using Polyglot.Contracts.Boards.V1;

namespace Polyglot.Bench;

public sealed class WritesSettings : ResultSettings
{
    [CommandOption("--provider <PROVIDER>"), Description("Sqlite or Postgres.")]
    public DatabaseProvider Provider { get; init; } = DatabaseProvider.Sqlite;

    [CommandOption("-c|--concurrency <N>"), Description("Writes in flight.")]
    public int Concurrency { get; init; } = 32;

    [CommandOption("--seconds <S>"), Description("How long to write, after 5 s of warm-up.")]
    public int Seconds { get; init; } = 10;

    public override ValidationResult Validate() =>
        Concurrency < 1 || Seconds < 1 ? ValidationResult.Error("--concurrency and --seconds must be positive.") : ValidationResult.Success();
}

/// <summary>
/// How many writes per second crud commits, each raising an event: the outbox's position counter
/// row is held from its increment to the commit, so writers serialise on it. A Release crud
/// (monolith, no bus) on SQLite or on a private PostgreSQL cluster; CreateCard calls spread over
/// 64 columns, so the columns' own locks are not what limits them.
/// </summary>
public sealed class WritesCommand : AsyncCommand<WritesSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, WritesSettings settings, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var database = settings.Provider == DatabaseProvider.Postgres
            ? await LocalServer.NewPostgresDatabaseAsync()
            : $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-writes-{Guid.NewGuid():N}.db")}";
        await using var crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
            ["Database__Provider"] = settings.Provider.ToString(),
            ["ConnectionStrings__db"] = database,
        });
        await crud.StartAsync();
        using var channel = LocalAuth.Shared.CrudChannel(crud);
        var cards = new Cards.CardsClient(channel);
        var board = await new Boards.BoardsClient(channel).CreateBoardAsync(new CreateBoardRequest { Name = "writes" }, cancellationToken: ct);
        var columns = new List<string>();
        for (var i = 0; i < 64; i++)
        {
            columns.Add((await new Contracts.Boards.V1.Columns.ColumnsClient(channel).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = $"c{i}" }, cancellationToken: ct)).Id);
        }

        async Task<(long Writes, LongHistogram Latency)> WriteForAsync(TimeSpan duration)
        {
            var latency = new LongHistogram(TimeStamp.Minutes(1), 3);
            long writes = 0;
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(async worker =>
            {
                for (var i = 0; Stopwatch.GetTimestamp() < until; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await cards.CreateCardAsync(new CreateCardRequest { ColumnId = columns[(worker + i) % columns.Count], Title = "write" }, cancellationToken: ct);
                    lock (latency)
                    {
                        latency.RecordValue(Stopwatch.GetTimestamp() - start);
                    }
                    Interlocked.Increment(ref writes);
                }
            }));
            return (writes, latency);
        }

        await AnsiConsole.Status().StartAsync("Warming up (5 s)", _ => WriteForAsync(TimeSpan.FromSeconds(5)));
        var cpuBefore = ProcFs.CpuSeconds(crud.ProcessId!.Value);
        var clock = Stopwatch.StartNew();
        var (count, histogram) = await AnsiConsole.Status().StartAsync($"Writing for {settings.Seconds} s", _ => WriteForAsync(TimeSpan.FromSeconds(settings.Seconds)));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = ProcFs.CpuSeconds(crud.ProcessId!.Value) - cpuBefore;
        double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;

        await new Result("writes", started, HoldCommand.CommandLine(), Machine.Current(),
            new Dictionary<string, object> { ["provider"] = settings.Provider.ToString(), ["concurrency"] = settings.Concurrency, ["seconds"] = settings.Seconds },
            new Dictionary<string, double>
            {
                ["writesPerSecond"] = count / elapsed,
                ["p50Ms"] = Ms(50),
                ["p99Ms"] = Ms(99),
                ["serverCpuMicrosecondsPerWrite"] = cpu * 1e6 / count,
            }).SaveAndShowAsync(settings.Out);
        return 0;
    }
}
