using Microsoft.Extensions.DependencyInjection;
using Polyglot.Crud.Data;
using Polyglot.Crud.Grpc;
using Board = Polyglot.Contracts.Boards.V1.Board;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// One topology started for a test class: where clients write (crud) and where they stream from
/// (realtime in the split, crud itself in the monolith). The end-to-end tests are written once
/// against this and run against both.
/// </summary>
public abstract class TopologyFixture : IAsyncLifetime
{
    private readonly string _database = SqliteFile.NewConnectionString();

    public ServiceHost<BoardsService> Crud { get; private set; } = null!;

    /// <summary>Where subscribers connect: its HTTP address (WebSocket, SSE, the live page).</summary>
    public abstract Uri StreamingHttpAddress { get; }

    public Boards.BoardsClient Boards => new(Crud.CreateSignedInChannel());

    public Columns.ColumnsClient Columns => new(Crud.CreateSignedInChannel());

    public Cards.CardsClient Cards => new(Crud.CreateSignedInChannel());

    /// <summary>The services of the host that holds the hub: realtime in the split, crud in the monolith.</summary>
    public abstract IServiceProvider StreamingServices { get; }

    /// <summary>Where subscribers connect over gRPC.</summary>
    public abstract Uri StreamingGrpcAddress { get; }

    /// <summary>A client of the current streaming side (it changes when restarted).</summary>
    public Contracts.Realtime.V1.Realtime.RealtimeClient RealtimeClient => new(Grpc.Net.Client.GrpcChannel.ForAddress(StreamingGrpcAddress));

    /// <summary>Settings crud gets in this topology.</summary>
    protected abstract IEnumerable<KeyValuePair<string, string?>> CrudSettings { get; }

    /// <summary>A new board, and a gRPC subscriber to it that has read the board's creation: the position a resume starts after.</summary>
    public async Task<ObservedBoard> ObserveNewBoardAsync(string name, CancellationToken ct)
    {
        var board = await Boards.CreateBoardAsync(new CreateBoardRequest { Name = name }, cancellationToken: ct);
        var observer = await RealtimeClient.SubscribeAsync(ObservedBoard.ChannelOf(board), 0, ct);
        return new ObservedBoard(board, observer, (await Streams.ReadEventsAsync(observer.ResponseStream, 1, ct))[0].Position);
    }

    public async Task RenameAsync(Board board, string name, long version) =>
        await Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = name });

    /// <summary>Works on crud's database directly, as an operator or a retention job would.</summary>
    public async Task<T> InCrudAsync<T>(Func<BoardsDbContext, Task<T>> work)
    {
        await using var scope = Crud.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<BoardsDbContext>());
    }

    /// <summary>
    /// Restarts the streaming side, as a rescheduled pod would come back: an empty hub, so what
    /// <paramref name="meanwhile"/> wrote is only in crud's log. In the split realtime is down
    /// while it writes; in the monolith crud writes it just before it restarts.
    /// </summary>
    public abstract Task RestartStreamingAsync(Func<Task> meanwhile);

    public virtual async ValueTask InitializeAsync() => await StartCrudAsync();

    /// <summary>Starts crud (again, on the same database) and waits until it is healthy.</summary>
    protected async Task StartCrudAsync()
    {
        Crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = _database,
        }.Concat(CrudSettings).ToDictionary());
        await WaitHealthyAsync(Crud.HttpAddress, "crud");
    }

    /// <summary>Healthy: the database and the bus answer, and a hub has read the log's head and takes subscribers.</summary>
    protected static async Task WaitHealthyAsync(Uri httpAddress, string what)
    {
        using var http = new HttpClient { BaseAddress = httpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), $"{what} to be healthy");
    }

    public virtual async ValueTask DisposeAsync() => await Crud.DisposeAsync();
}
