using Polyglot.Crud.Data;
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
    private readonly string _clientSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// crud's service clients beside the local one (which has every scope and owns the boards the
    /// tests create), by id and scope: two that may subscribe to boards they are members of, and
    /// one of crud's API only, whose tokens are not meant for the streaming side.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Clients = new Dictionary<string, string>
    {
        ["member"] = Contracts.Auth.ApiScopes.Events,
        ["stranger"] = Contracts.Auth.ApiScopes.Events,
        ["crud-only"] = Contracts.Auth.ApiScopes.Boards,
    };

    public ServiceHost<BoardsService> Crud { get; private set; } = null!;

    /// <summary>Where subscribers connect: its HTTP address (WebSocket, SSE, the live page).</summary>
    public abstract Uri StreamingHttpAddress { get; }

    public Boards.BoardsClient Boards => new(Crud.CreateSignedInChannel());

    public Columns.ColumnsClient Columns => new(Crud.CreateSignedInChannel());

    public Cards.CardsClient Cards => new(Crud.CreateSignedInChannel());

    public Members.MembersClient Members => new(Crud.CreateSignedInChannel());

    /// <summary>The services of the host that holds the hub: realtime in the split, crud in the monolith.</summary>
    public abstract IServiceProvider StreamingServices { get; }

    /// <summary>Where subscribers connect over gRPC.</summary>
    public abstract Uri StreamingGrpcAddress { get; }

    /// <summary>A client of the current streaming side (it changes when restarted), signed in as the local service client (every scope).</summary>
    public Contracts.Realtime.V1.Realtime.RealtimeClient RealtimeClient => new(LocalAuth.Shared.StreamingChannel(StreamingGrpcAddress, Crud.HttpAddress));

    /// <summary>A client of the streaming side's HTTP endpoints (SSE), signed in as the local service client.</summary>
    public HttpClient StreamingHttp() => LocalAuth.Shared.SignedInHttpClient(StreamingHttpAddress, Crud.HttpAddress);

    /// <summary>The local service client's access token (every scope; it owns the boards the tests create).</summary>
    public Task<string> TokenAsync() => LocalAuth.Shared.AccessTokenAsync(Crud.HttpAddress);

    /// <summary>A new access token of one of <see cref="Clients"/>, for its scope.</summary>
    public async Task<string> TokenAsync(string client)
    {
        using var http = new HttpClient { BaseAddress = Crud.HttpAddress };
        var (status, body) = await TokenEndpoint.ClientCredentialsAsync(http, client, _clientSecret, Clients[client]);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>A WebSocket subscription to <c>/ws?{query}</c>, signed in as the local service client.</summary>
    public async Task<System.Net.WebSockets.ClientWebSocket> ConnectWebSocketAsync(string query, CancellationToken ct) =>
        await TextStreams.ConnectWebSocketAsync(StreamingHttpAddress, query, await TokenAsync(), ct);

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
        }.Concat(Clients.SelectMany(client => new KeyValuePair<string, string?>[]
        {
            new($"Auth:Clients:{client.Key}:Id", client.Key),
            new($"Auth:Clients:{client.Key}:Secret", _clientSecret),
            new($"Auth:Clients:{client.Key}:Scopes:0", client.Value),
        })).Concat(CrudSettings).ToDictionary());
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
