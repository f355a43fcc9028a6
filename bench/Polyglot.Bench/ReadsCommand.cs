using Polyglot.Bench.Cost;
using Polyglot.Contracts.Boards.V1;

namespace Polyglot.Bench;

public sealed class ReadsSettings : ResultSettings
{
    [CommandOption("--warmup <S>"), Description("Seconds of the same load before measuring: under load the JIT tiers methods up for about a minute.")]
    public int Warmup { get; init; } = 30;

    [CommandOption("--seconds <S>"), Description("How long each measurement lasts.")]
    public int Seconds { get; init; } = 10;

    [CommandOption("--connections <N>"), Description("h2load's connections.")]
    public int Connections { get; init; } = 16;

    [CommandOption("--streams <N>"), Description("h2load's concurrent streams per connection.")]
    public int Streams { get; init; } = 32;

    public override ValidationResult Validate() =>
        Seconds < 1 || Warmup < 0 || Connections < 1 || Streams < 1 ? ValidationResult.Error("--seconds, --connections and --streams must be positive.") : ValidationResult.Success();
}

/// <summary>
/// crud's GetCard (one card by id, SQLite) under h2load, with the read cache off and then on, in
/// the same run: each a fresh Release crud in the monolith topology, no dashboard, warmed first.
/// </summary>
public sealed class ReadsCommand : AsyncCommand<ReadsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ReadsSettings settings, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        await H2Load.EnsureInstalledAsync();
        var figures = new Dictionary<string, double>();
        foreach (var cached in new[] { false, true })
        {
            var name = cached ? "cacheOn" : "cacheOff";
            var load = await AnsiConsole.Status().StartAsync($"GetCard, read cache {(cached ? "on" : "off")}", async status =>
            {
                await using var crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
                {
                    [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
                    ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
                    ["ConnectionStrings__db"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-reads-{Guid.NewGuid():N}.db")}",
                    ["ReadCache__Enabled"] = cached.ToString(),
                });
                await TopologyUnderTest.StartHealthyAsync(crud);
                using var channel = LocalAuth.Shared.CrudChannel(crud);
                var board = await new Boards.BoardsClient(channel).CreateBoardAsync(new CreateBoardRequest { Name = "reads" }, cancellationToken: ct);
                var column = await new Contracts.Boards.V1.Columns.ColumnsClient(channel).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "c" }, cancellationToken: ct);
                var card = await new Cards.CardsClient(channel).CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "read me" }, cancellationToken: ct);
                var request = new GetCardRequest { Id = card.Id };
                var token = await LocalAuth.Shared.AccessTokenAsync(crud.HttpAddress, ct);
                status.Status($"GetCard, read cache {(cached ? "on" : "off")}: warming up ({settings.Warmup} s)");
                if (settings.Warmup > 0)
                {
                    await H2Load.RunAsync(crud.GrpcAddress, H2Load.GetCardPath, request, token, settings.Connections, settings.Streams, TimeSpan.FromSeconds(settings.Warmup), rate: null, crud.ProcessId!.Value, ct);
                }
                status.Status($"GetCard, read cache {(cached ? "on" : "off")}: measuring ({settings.Seconds} s)");
                return await H2Load.RunAsync(crud.GrpcAddress, H2Load.GetCardPath, request, token, settings.Connections, settings.Streams, TimeSpan.FromSeconds(settings.Seconds), rate: null, crud.ProcessId!.Value, ct);
            });
            figures[$"{name}.getCardPerSecond"] = load.RequestsPerSecond;
            figures[$"{name}.p50Ms"] = load.P50Ms;
            figures[$"{name}.p99Ms"] = load.P99Ms;
            figures[$"{name}.serverCpuMicrosecondsPerRequest"] = load.ServerCpuMicrosecondsPerRequest;
            figures[$"{name}.failed"] = load.Failed;
        }
        figures["cacheOnOverOff"] = figures["cacheOn.getCardPerSecond"] / figures["cacheOff.getCardPerSecond"];

        await new Result("reads", started, HoldCommand.CommandLine(), Machine.Current(),
            new Dictionary<string, object>
            {
                ["load"] = $"h2load {settings.Connections} connections × {settings.Streams} streams, one card by id",
                ["warmupSeconds"] = settings.Warmup,
                ["seconds"] = settings.Seconds,
            },
            figures).SaveAndShowAsync(settings.Out);
        return 0;
    }
}
