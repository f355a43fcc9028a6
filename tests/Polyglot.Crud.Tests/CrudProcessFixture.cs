using SqliteBoardsDbContext = Polyglot.Crud.Data.SqliteBoardsDbContext;

namespace Polyglot.Crud.Tests;

/// <summary>
/// crud as its own process on a SQLite file, as in production: a bad request that crashed it
/// would show as a dead process, which an in-process host could not. One board, column and card
/// exist for the cases to aim at; event log pages are capped at 50, so a cap can be seen working.
/// </summary>
public sealed class CrudProcessFixture : IAsyncLifetime
{
    public const int EventLogPageCap = 50;

    private readonly string _database = SqliteFile.NewConnectionString();

    public ServiceProcess Crud { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public Board Board { get; private set; } = null!;

    public Column Column { get; private set; } = null!;

    public Card Card { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var bus = await LocalServer.RabbitMQAsync();
        Crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = _database,
            ["ConnectionStrings__bus"] = bus.ConnectionString,
            ["Outbox__MaxEventLogPageSize"] = EventLogPageCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await Crud.StartAsync();
        Channel = LocalAuth.Shared.CrudChannel(Crud);
        Board = await new Boards.BoardsClient(Channel).CreateBoardAsync(new CreateBoardRequest { Name = "Target" });
        Column = await new Columns.ColumnsClient(Channel).CreateColumnAsync(new CreateColumnRequest { BoardId = Board.Id, Name = "Target" });
        Card = await new Cards.CardsClient(Channel).CreateCardAsync(new CreateCardRequest { ColumnId = Column.Id, Title = "Target" });
    }

    /// <summary>Every row of every table that a write touches, read from the database file itself.</summary>
    public async Task<(int Boards, int Columns, int Cards, int Events)> RowsAsync()
    {
        await using var db = new SqliteBoardsDbContext(new DbContextOptionsBuilder<SqliteBoardsDbContext>().UseSqlite(_database).Options);
        return (await db.Boards.CountAsync(), await db.Columns.CountAsync(), await db.Cards.CountAsync(), await db.Outbox.CountAsync());
    }

    /// <summary>The process still runs and says it is healthy.</summary>
    public async Task AssertHealthyAsync()
    {
        Assert.NotNull(Crud.ProcessId);
        using var http = new HttpClient { BaseAddress = Crud.HttpAddress };
        Assert.Equal("Healthy", await http.GetStringAsync("/health"));
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Crud.DisposeAsync();
    }
}
