using Google.Rpc;

namespace Polyglot.Crud.Tests;

/// <summary>The gRPC API's behaviour, run once per database provider (the derived classes below).</summary>
public abstract class CrudApiTests<TFixture>(TFixture fixture) where TFixture : CrudFixture
{
    protected TFixture Fixture { get; } = fixture;

    [Fact]
    public async Task CreatedBoardReadsBackWithVersionOne()
    {
        var created = await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "  Roadmap ", Description = "Q3" });

        var read = await Fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = created.Id });

        Assert.Equal("Roadmap", read.Name);
        Assert.Equal("Q3", read.Description);
        Assert.Equal(1, read.Version);
        Assert.Equal(created, read);
    }

    [Fact]
    public async Task InvalidCreateListsEveryBadFieldAndWritesNothing()
    {
        var boardsBefore = await Fixture.QueryAsync(db => db.Boards.CountAsync());
        var eventsBefore = await Fixture.QueryAsync(db => db.Outbox.CountAsync());

        var error = await Assert.ThrowsAsync<RpcException>(() => Fixture.Boards.CreateBoardAsync(
            new CreateBoardRequest { Name = " ", Description = new string('x', 2001) }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violations = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations;
        Assert.Equal(["description", "name"], violations.Select(v => v.Field).Order());
        Assert.Equal(boardsBefore, await Fixture.QueryAsync(db => db.Boards.CountAsync()));
        Assert.Equal(eventsBefore, await Fixture.QueryAsync(db => db.Outbox.CountAsync()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-uuid")]
    [InlineData("{0190a5c4-2b7e-7c3e-9d1a-4f0e8b6a2c11}")]
    public async Task MalformedIdIsInvalidArgumentOnTheIdField(string id)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Fixture.Cards.GetCardAsync(new GetCardRequest { Id = id }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("id", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task UnknownBoardIsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = Guid.NewGuid().ToString() }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task StaleVersionIsAbortedAndWritesNothing()
    {
        var board = await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Draft" });
        var updated = await Fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = 1, Name = "First" });

        var error = await Assert.ThrowsAsync<RpcException>(() => Fixture.Boards.UpdateBoardAsync(
            new UpdateBoardRequest { Id = board.Id, Version = 1, Name = "Second" }).ResponseAsync);

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal(2, updated.Version);
        Assert.Equal("First", (await Fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = board.Id })).Name);
        Assert.Equal(["BoardCreated", "BoardUpdated"], (await Fixture.OutboxForBoardAsync(board.Id)).Select(m => m.Type));
    }

    [Fact]
    public async Task ConcurrentUpdatesOfOneVersionLetExactlyOneWin()
    {
        var board = await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Contested" });

        var outcomes = await EightAtOnceAsync(i => Fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = 1, Name = $"Writer {i}" }).ResponseAsync);

        Assert.Equal(1, outcomes.Count(s => s == StatusCode.OK));
        Assert.All(outcomes.Where(s => s != StatusCode.OK), s => Assert.Equal(StatusCode.Aborted, s));
        Assert.Equal(2, (await Fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = board.Id })).Version);
        Assert.Equal(2, (await Fixture.OutboxForBoardAsync(board.Id)).Count);
    }

    [Fact]
    public async Task ConcurrentDeletesOfOneBoardDeleteItOnceAndTellTheRestItIsGone()
    {
        var board = await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Deleted eight times" });

        var outcomes = await EightAtOnceAsync(_ => Fixture.Boards.DeleteBoardAsync(new DeleteBoardRequest { Id = board.Id, Version = 1 }).ResponseAsync);

        // ABORTED would tell the losers to re-read and retry; what they would read is that it is gone.
        Assert.Equal(1, outcomes.Count(s => s == StatusCode.OK));
        Assert.All(outcomes.Where(s => s != StatusCode.OK), s => Assert.Equal(StatusCode.NotFound, s));
        Assert.Equal(["BoardCreated", "BoardDeleted"], (await Fixture.OutboxForBoardAsync(board.Id)).Select(m => IntegrationEvent.Parser.ParseFrom(m.Payload).PayloadCase.ToString()));
    }

    /// <summary>The status each of eight calls made at once ends with.</summary>
    private static Task<StatusCode[]> EightAtOnceAsync(Func<int, Task> call) =>
        Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await call(i);
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }));

    [Fact]
    public async Task ListBoardsPagesThroughEveryBoardOnceInIdOrder()
    {
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"Paged {i}" })).Id);
        }

        var seen = new List<string>();
        var request = new ListBoardsRequest { PageSize = 2 };
        do
        {
            var page = await Fixture.Boards.ListBoardsAsync(request);
            Assert.True(page.Boards.Count <= 2);
            seen.AddRange(page.Boards.Select(b => b.Id));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken != "");

        Assert.Equal(seen.Count, seen.Distinct().Count());
        // Ids are UUIDv7: in creation order to the millisecond, at random within one.
        Assert.Equal(created.Order(StringComparer.Ordinal), seen.Where(created.Contains));
    }

    [Theory]
    [InlineData(-1, "", "page_size")]
    [InlineData(0, "bm90IGEgdG9rZW4", "page_token")]
    public async Task BadPagingIsInvalidArgument(int pageSize, string pageToken, string field)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Fixture.Boards.ListBoardsAsync(new ListBoardsRequest { PageSize = pageSize, PageToken = pageToken }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task CardsMoveBetweenColumnsAndBothColumnsStayDense()
    {
        var (_, todo, done) = await BoardWithTwoColumnsAsync();
        var a = await CreateCardAsync(todo, "A");
        await CreateCardAsync(todo, "B");
        await CreateCardAsync(todo, "C");
        await CreateCardAsync(done, "D");

        var moved = await Fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = a.Id, Version = a.Version, ColumnId = done.Id, Index = 1 });

        Assert.Equal((done.Id, 1, 2L), (moved.ColumnId, moved.Index, moved.Version));
        Assert.Equal(["B", "C"], await TitlesAsync(todo));
        Assert.Equal(["D", "A"], await TitlesAsync(done));
        Assert.Equal([0, 1], (await ListCardsAsync(todo)).Select(x => x.Index));
    }

    [Fact]
    public async Task MoveWithinAColumnReordersAndAnIndexPastTheEndMeansLast()
    {
        var (_, todo, _) = await BoardWithTwoColumnsAsync();
        var a = await CreateCardAsync(todo, "A");
        await CreateCardAsync(todo, "B");
        var c = await CreateCardAsync(todo, "C");

        await Fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = c.Id, Version = 1, ColumnId = todo.Id, Index = 0 });
        await Fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = a.Id, Version = 1, ColumnId = todo.Id, Index = 99 });

        Assert.Equal(["C", "B", "A"], await TitlesAsync(todo));
        Assert.Equal([0, 1, 2], (await ListCardsAsync(todo)).Select(x => x.Index));
    }

    [Fact]
    public async Task MoveWithAStaleVersionIsAbortedAndMovesNothing()
    {
        var (_, todo, done) = await BoardWithTwoColumnsAsync();
        var card = await CreateCardAsync(todo, "A");
        await Fixture.Cards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = 1, Title = "A2" });

        var error = await Assert.ThrowsAsync<RpcException>(() => Fixture.Cards.MoveCardAsync(
            new MoveCardRequest { Id = card.Id, Version = 1, ColumnId = done.Id }).ResponseAsync);

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal(["A2"], await TitlesAsync(todo));
        Assert.Empty(await ListCardsAsync(done));
    }

    [Fact]
    public async Task DeletingACardClosesTheGap()
    {
        var (_, todo, _) = await BoardWithTwoColumnsAsync();
        await CreateCardAsync(todo, "A");
        var b = await CreateCardAsync(todo, "B");
        await CreateCardAsync(todo, "C");

        await Fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = b.Id, Version = 1 });

        Assert.Equal(["A", "C"], await TitlesAsync(todo));
        Assert.Equal([0, 1], (await ListCardsAsync(todo)).Select(x => x.Index));
        var error = await Assert.ThrowsAsync<RpcException>(() => Fixture.Cards.GetCardAsync(new GetCardRequest { Id = b.Id }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task DeletingABoardTakesItsColumnsAndCards()
    {
        var (board, todo, _) = await BoardWithTwoColumnsAsync();
        var card = await CreateCardAsync(todo, "A");

        await Fixture.Boards.DeleteBoardAsync(new DeleteBoardRequest { Id = board.Id, Version = 1 });

        foreach (var call in new Func<Task>[]
        {
            () => Fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = board.Id }).ResponseAsync,
            () => Fixture.Columns.GetColumnAsync(new GetColumnRequest { Id = todo.Id }).ResponseAsync,
            () => Fixture.Cards.GetCardAsync(new GetCardRequest { Id = card.Id }).ResponseAsync,
        })
        {
            Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(call)).StatusCode);
        }
    }

    [Fact]
    public async Task ColumnsListLeftToRightAndDeletingOneShiftsTheRest()
    {
        var board = await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Columns" });
        var names = new[] { "One", "Two", "Three" };
        var columns = new List<Column>();
        foreach (var name in names)
        {
            columns.Add(await Fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = name }));
        }

        await Fixture.Columns.DeleteColumnAsync(new DeleteColumnRequest { Id = columns[0].Id, Version = 1 });
        var listed = (await Fixture.Columns.ListColumnsAsync(new ListColumnsRequest { BoardId = board.Id })).Columns;

        Assert.Equal([0, 1, 2], columns.Select(c => c.Index));
        Assert.Equal(["Two", "Three"], listed.Select(c => c.Name));
        Assert.Equal([0, 1], listed.Select(c => c.Index));
    }

    [Fact]
    public async Task ConcurrentCreatesInOneColumnGetDistinctDenseIndices()
    {
        var (_, todo, _) = await BoardWithTwoColumnsAsync();

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => CreateCardAsync(todo, $"Card {i}")));

        Assert.Equal(Enumerable.Range(0, 12), (await ListCardsAsync(todo)).Select(c => c.Index));
    }

    [Fact]
    public async Task CardsOfAColumnPageInOrder()
    {
        var (_, todo, _) = await BoardWithTwoColumnsAsync();
        for (var i = 0; i < 5; i++)
        {
            await CreateCardAsync(todo, $"{i}");
        }

        var first = await Fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = todo.Id, PageSize = 3 });
        var second = await Fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = todo.Id, PageSize = 3, PageToken = first.NextPageToken });

        Assert.Equal(["0", "1", "2"], first.Cards.Select(c => c.Title));
        Assert.Equal(["3", "4"], second.Cards.Select(c => c.Title));
        Assert.Equal("", second.NextPageToken);
    }

    [Theory]
    [InlineData("delete a card already listed")]
    [InlineData("move a listed card to another column")]
    [InlineData("move a card from another column to the top")]
    [InlineData("delete the next page's first card")]
    [InlineData("delete the page's last card")]
    [InlineData("move the page's last card to another column")]
    [InlineData("delete the page's last card and the next page's first")]
    public async Task PageTokensStayStableWhenTheOrderChangesBetweenPages(string change)
    {
        var (_, todo, done) = await BoardWithTwoColumnsAsync();
        var cards = new List<Card>();
        for (var i = 0; i < 6; i++)
        {
            cards.Add(await CreateCardAsync(todo, $"{i}"));
        }
        var incoming = await CreateCardAsync(done, "incoming");
        var first = await Fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = todo.Id, PageSize = 3 });
        Assert.Equal(["0", "1", "2"], first.Cards.Select(c => c.Title));

        // Each change shifts the indices of every card after it: a token that were an index would skip or repeat one.
        string[] expected = ["3", "4", "5"];
        switch (change)
        {
            case "delete a card already listed":
                await Fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = cards[1].Id, Version = 1 });
                break;
            case "move a listed card to another column":
                await Fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = cards[0].Id, Version = 1, ColumnId = done.Id, Index = 0 });
                break;
            case "move a card from another column to the top":
                await Fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = incoming.Id, Version = 1, ColumnId = todo.Id, Index = 0 });
                break;
            case "delete the next page's first card":
                await Fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = cards[3].Id, Version = 1 });
                expected = ["4", "5"];
                break;
            case "delete the page's last card":
                await Fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = cards[2].Id, Version = 1 });
                break;
            case "move the page's last card to another column":
                await Fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = cards[2].Id, Version = 1, ColumnId = done.Id, Index = 0 });
                break;
            case "delete the page's last card and the next page's first":
                await Fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = cards[2].Id, Version = 1 });
                await Fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = cards[3].Id, Version = 1 });
                expected = ["4", "5"];
                break;
        }
        var second = await Fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = todo.Id, PageSize = 3, PageToken = first.NextPageToken });

        Assert.Equal(expected, second.Cards.Select(c => c.Title));
    }

    [Fact]
    public async Task APageTokenOfAnotherColumnIsInvalidArgumentOnPageToken()
    {
        var (_, todo, done) = await BoardWithTwoColumnsAsync();
        for (var i = 0; i < 3; i++)
        {
            await CreateCardAsync(todo, $"{i}");
        }
        var first = await Fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = todo.Id, PageSize = 2 });
        Assert.NotEqual("", first.NextPageToken);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = done.Id, PageSize = 2, PageToken = first.NextPageToken }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("page_token", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task ColumnPageTokensStayStableWhenAColumnBeforeThemIsDeleted()
    {
        var board = await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Many columns" });
        var columns = new List<Column>();
        for (var i = 0; i < 4; i++)
        {
            columns.Add(await Fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = $"{i}" }));
        }
        var first = await Fixture.Columns.ListColumnsAsync(new ListColumnsRequest { BoardId = board.Id, PageSize = 2 });

        await Fixture.Columns.DeleteColumnAsync(new DeleteColumnRequest { Id = columns[0].Id, Version = 1 });
        var second = await Fixture.Columns.ListColumnsAsync(new ListColumnsRequest { BoardId = board.Id, PageSize = 2, PageToken = first.NextPageToken });

        Assert.Equal(["2", "3"], second.Columns.Select(c => c.Name));
    }

    private async Task<(Board Board, Column Todo, Column Done)> BoardWithTwoColumnsAsync()
    {
        var board = await Fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Board" });
        var todo = await Fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var done = await Fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "Done" });
        return (board, todo, done);
    }

    private async Task<Card> CreateCardAsync(Column column, string title) =>
        await Fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = title });

    private async Task<IReadOnlyList<Card>> ListCardsAsync(Column column) =>
        (await Fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = column.Id })).Cards;

    private async Task<IEnumerable<string>> TitlesAsync(Column column) => (await ListCardsAsync(column)).Select(c => c.Title);
}

public sealed class SqliteCrudApiTests(SqliteCrudFixture fixture)
    : CrudApiTests<SqliteCrudFixture>(fixture), IClassFixture<SqliteCrudFixture>;

public sealed class PostgresCrudApiTests(PostgresCrudFixture fixture)
    : CrudApiTests<PostgresCrudFixture>(fixture), IClassFixture<PostgresCrudFixture>;
