using Polyglot.Crud.Data;
using Polyglot.Crud.Outbox;
using Polyglot.Realtime.Bus;
using Polyglot.Realtime.Dapr;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The split on Dapr (<c>Bus:Kind=Dapr</c>): crud's Dapr client publishes to a
/// <see cref="DaprSidecar"/>, which delivers to realtime's CloudEvents route — or, for tests that
/// post the CloudEvents themselves, only records what crud published.
/// </summary>
public class DaprFixture : IAsyncLifetime
{
    /// <summary>The app API token realtime expects, and the sidecar sends.</summary>
    public const string AppToken = "app-api-token-for-the-tests";

    private readonly string _database = SqliteFile.NewConnectionString();

    public DaprSidecar Sidecar { get; } = new();

    public ServiceHost<BoardsService> Crud { get; private set; } = null!;

    public ServiceHost<IntegrationEventConsumer> Realtime { get; private set; } = null!;

    public Boards.BoardsClient Boards => new(Crud.CreateSignedInChannel());

    public Contracts.Realtime.V1.Realtime.RealtimeClient RealtimeClient => new(LocalAuth.Shared.StreamingChannel(Realtime.GrpcAddress, Crud.HttpAddress));

    /// <summary>Where the sidecar delivers: realtime's route for the topic.</summary>
    public Uri Route => new(Realtime.HttpAddress, DaprBus.Route);

    /// <summary>Whether the sidecar delivers to realtime; if not, the tests post the CloudEvents.</summary>
    protected virtual bool Delivers => true;

    public async ValueTask InitializeAsync()
    {
        await Sidecar.StartAsync();
        Crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = _database,
            [AppModelNames.BusKindSetting] = nameof(BusKind.Dapr),
            ["DAPR_GRPC_ENDPOINT"] = Sidecar.Address.ToString(),
            [AppModelNames.DaprApiTokenVariable] = DaprSidecar.ApiToken,
        });
        Realtime = StartRealtime(Crud.GrpcAddress, Crud.HttpAddress);
        using var http = new HttpClient { BaseAddress = Realtime.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "realtime to be healthy");
        if (Delivers)
        {
            Sidecar.DeliverTo(Route, AppToken);
        }
    }

    /// <summary>A realtime on Dapr reading the event log of the crud at these addresses; the caller disposes it.</summary>
    public static ServiceHost<IntegrationEventConsumer> StartRealtime(Uri crudGrpc, Uri crudHttp) => new(new Dictionary<string, string?>(LocalAuth.Shared.RealtimeSettings(crudGrpc, crudHttp, ":")!)
    {
        [AppModelNames.BusKindSetting] = nameof(BusKind.Dapr),
        [DaprBus.AppTokenSetting] = AppToken,
        // The tests hand realtime what crud published when they choose: the head check would read it from the log first.
        ["Hub:HeadCheckInterval"] = "01:00:00",
    });

    /// <summary>A new board named v0, then renamed v1, v2, …: one event each, in order.</summary>
    public async Task<Contracts.Boards.V1.Board> BoardRenamedAsync(int renames, CancellationToken ct)
    {
        var board = await Boards.CreateBoardAsync(new CreateBoardRequest { Name = "v0" }, cancellationToken: ct);
        for (var version = 1; version <= renames; version++)
        {
            board = await Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = $"v{version}" }, cancellationToken: ct);
        }
        return board;
    }

    /// <summary>The last position crud's log holds.</summary>
    public async Task<long> HeadAsync(CancellationToken ct) =>
        (await new EventLog.EventLogClient(Crud.CreateSignedInChannel()).GetHeadAsync(new GetHeadRequest(), cancellationToken: ct)).HeadPosition;

    /// <summary>crud's published cursor: how far the relay has had its batches accepted.</summary>
    public async Task<long> PublishedCursorAsync()
    {
        await using var scope = Crud.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
        return await db.OutboxCursors.Where(c => c.Name == OutboxCursor.Published).Select(c => c.Position).SingleOrDefaultAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Realtime.DisposeAsync();
        await Crud.DisposeAsync();
        await Sidecar.DisposeAsync();
    }
}
