using Polyglot.Contracts.Boards.V1;

namespace Polyglot.Bench.Cost;

/// <summary>
/// The same data and the same writes for both topologies: boards with one column each for the
/// event stream, each with <see cref="LocalAuth.Member"/> as a viewer (to subscribe as a person
/// would), and a column of 20 cards for the CRUD reads (GetCard on one, ListCards on the column).
/// </summary>
public sealed class Workload : IDisposable
{
    private readonly GrpcChannel _crud;
    private readonly Cards.CardsClient _cards;

    private Workload(GrpcChannel crud, IReadOnlyList<(string Board, string Column)> boards, Card sample, string sampleColumn)
    {
        _crud = crud;
        _cards = new Cards.CardsClient(crud);
        Boards = boards;
        SampleCard = sample;
        SampleColumn = sampleColumn;
    }

    public IReadOnlyList<(string Board, string Column)> Boards { get; }

    public string[] Channels => [.. Boards.Select(b => $"board:{b.Board}")];

    /// <summary>The card GetCard reads.</summary>
    public Card SampleCard { get; }

    /// <summary>The column ListCards reads: 20 cards, one page.</summary>
    public string SampleColumn { get; }

    public static async Task<Workload> CreateAsync(ServiceProcess crudProcess, int boards, CancellationToken ct)
    {
        var crud = LocalAuth.Shared.CrudChannel(crudProcess);
        var boardsClient = new Boards.BoardsClient(crud);
        var columnsClient = new Polyglot.Contracts.Boards.V1.Columns.ColumnsClient(crud); // Spectre has a Columns too
        var membersClient = new Members.MembersClient(crud);
        var created = new List<(string, string)>();
        for (var i = 0; i < boards; i++)
        {
            var board = await boardsClient.CreateBoardAsync(new CreateBoardRequest { Name = $"cost {i}" }, cancellationToken: ct);
            var column = await columnsClient.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "events" }, cancellationToken: ct);
            await membersClient.SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = LocalAuth.Member.ClientId, Role = Role.Viewer }, cancellationToken: ct);
            created.Add((board.Id, column.Id));
        }
        var readBoard = await boardsClient.CreateBoardAsync(new CreateBoardRequest { Name = "reads" }, cancellationToken: ct);
        var readColumn = await columnsClient.CreateColumnAsync(new CreateColumnRequest { BoardId = readBoard.Id, Name = "twenty cards" }, cancellationToken: ct);
        var cards = new Cards.CardsClient(crud);
        Card? sample = null;
        for (var i = 0; i < 20; i++)
        {
            sample = await cards.CreateCardAsync(new CreateCardRequest { ColumnId = readColumn.Id, Title = $"card {i}", Description = "read by the benchmark" }, cancellationToken: ct);
        }
        return new Workload(crud, created, sample!, readColumn.Id);
    }

    /// <summary>
    /// Creates cards at <paramref name="rate"/> per second, round-robin over the boards, until
    /// cancelled: each commit is one event to its board's subscribers. Up to 32 creates in flight;
    /// one that fails (the monolith restarting) is skipped, as a client would.
    /// </summary>
    public async Task StreamEventsAsync(int rate, CancellationToken ct)
    {
        using var inFlight = new SemaphoreSlim(32);
        try
        {
            await Pace.AtRateAsync(int.MaxValue, rate, CreateAsync, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        async Task CreateAsync(int i)
        {
            await inFlight.WaitAsync(ct); // once cancelled, a create still waiting for its turn is dropped
            try
            {
                await _cards.CreateCardAsync(new CreateCardRequest { ColumnId = Boards[i % Boards.Count].Column, Title = "streamed" }, deadline: DateTime.UtcNow.AddSeconds(5));
            }
            catch (RpcException)
            {
            }
            finally
            {
                inFlight.Release();
            }
        }
    }

    public void Dispose() => _crud.Dispose();
}
