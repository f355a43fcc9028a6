using Npgsql;

namespace Polyglot.Crud.Tests;

/// <summary>
/// Writes that race on PostgreSQL, each race made certain by a row lock the test holds: the
/// requests queue behind it in a known order, then it lets go.
/// </summary>
public sealed class PostgresConcurrentWritesTests(PostgresCrudFixture fixture) : IClassFixture<PostgresCrudFixture>
{
    /// <summary>Two writes that each hold a row the other needs: PostgreSQL rolls one back, and that client is told ABORTED (retry); the other's write stands.</summary>
    [Fact]
    public async Task AColumnDeletedWhileACardMovesOutOfItDeadlocksAndTheWriteRolledBackIsAbortedNotUnknown()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Deadlock" }, cancellationToken: timeout.Token);
        var left = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "Left" }, cancellationToken: timeout.Token);
        var right = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "Right" }, cancellationToken: timeout.Token);
        var card = await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = left.Id, Title = "Moving" }, cancellationToken: timeout.Token);
        // A move locks its two columns in id order: the left one (made first, so the lower id) first.
        Assert.True(Guid.Parse(left.Id).CompareTo(Guid.Parse(right.Id)) < 0);

        await using var holder = new NpgsqlConnection(fixture.HostSettings["ConnectionStrings:db"]);
        await holder.OpenAsync(timeout.Token);
        await using var holding = await holder.BeginTransactionAsync(timeout.Token);
        await ExecuteAsync(holder, $"SELECT 1 FROM \"Columns\" WHERE \"Id\" = '{right.Id}' FOR UPDATE", timeout.Token);
        // The delete renumbers the columns to the left one's right: it waits for the right column.
        var delete = Outcome(fixture.Columns.DeleteColumnAsync(new DeleteColumnRequest { Id = left.Id, Version = left.Version }, cancellationToken: timeout.Token).ResponseAsync);
        await LockWaitsAsync(1, timeout.Token);
        // The move takes the left column, then waits for the right one behind the delete.
        var move = Outcome(fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = card.Id, Version = card.Version, ColumnId = right.Id, Index = 0 }, cancellationToken: timeout.Token).ResponseAsync);
        await LockWaitsAsync(2, timeout.Token);

        await holding.CommitAsync(timeout.Token); // the delete gets the right column, then needs the left one, which the move holds

        var outcomes = await Task.WhenAll(delete, move);
        var rolledBack = Assert.Single(outcomes, o => o.Status != StatusCode.OK);
        Assert.Equal(StatusCode.Aborted, rolledBack.Status);
        Assert.Contains("deadlock", rolledBack.Detail);
    }

    /// <summary>
    /// A card moved by another request between the move reading where it is and locking that
    /// column, to the version the move names (a client sending a card's moves one after another):
    /// ABORTED, and every column keeps a dense order.
    /// </summary>
    [Fact]
    public async Task AMoveOfACardMovedMeanwhileToTheVersionItNamesIsAbortedAndEveryColumnStaysDense()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Moved meanwhile" }, cancellationToken: timeout.Token);
        var (from, meanwhile, to) = (await ColumnAsync(board, "From"), await ColumnAsync(board, "Meanwhile"), await ColumnAsync(board, "To"));
        var card = await CardAsync(from, "Moving");
        await CardAsync(from, "Stays");
        await CardAsync(meanwhile, "Already there");

        await using var holder = new NpgsqlConnection(fixture.HostSettings["ConnectionStrings:db"]);
        await holder.OpenAsync(timeout.Token);
        await using var holding = await holder.BeginTransactionAsync(timeout.Token);
        await ExecuteAsync(holder, $"SELECT 1 FROM \"Columns\" WHERE \"Id\" = '{from.Id}' FOR UPDATE", timeout.Token);
        // The second of two moves, sent at the version the first makes: it reads the card in "From", then waits for that column.
        var second = Outcome(fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = card.Id, Version = card.Version + 1, ColumnId = to.Id, Index = 0 }, cancellationToken: timeout.Token).ResponseAsync);
        await LockWaitsAsync(1, timeout.Token);
        // The first, committed meanwhile (as crud writes it): the card to the top of "Meanwhile".
        await ExecuteAsync(holder, $"""
            UPDATE "Cards" SET "Index" = "Index" - 1 WHERE "ColumnId" = '{from.Id}' AND "Index" > 0;
            UPDATE "Cards" SET "Index" = "Index" + 1 WHERE "ColumnId" = '{meanwhile.Id}';
            UPDATE "Cards" SET "ColumnId" = '{meanwhile.Id}', "Index" = 0, "Version" = "Version" + 1 WHERE "Id" = '{card.Id}';
            """, timeout.Token);
        await holding.CommitAsync(timeout.Token);

        var (status, detail) = await second;
        Assert.Equal(StatusCode.Aborted, status);
        Assert.Contains("moved by another request", detail);
        foreach (var column in new[] { from, meanwhile, to })
        {
            var cards = await fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = column.Id }, cancellationToken: timeout.Token);
            Assert.Equal(Enumerable.Range(0, cards.Cards.Count), cards.Cards.Select(c => c.Index));
        }
    }

    /// <summary>
    /// A card updated while a move out of its column renumbers it: the reply and the CardUpdated
    /// event carry the index the card has once both committed, not the one read before the move.
    /// </summary>
    [Fact]
    public async Task AnUpdateRacingARenumberingRepliesAndPublishesTheIndexTheCardEndsWith()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Renumbered meanwhile" }, cancellationToken: timeout.Token);
        var (column, elsewhere) = (await ColumnAsync(board, "Column"), await ColumnAsync(board, "Elsewhere"));
        var first = await CardAsync(column, "Leaves");
        var second = await CardAsync(column, "Renamed");
        Assert.Equal(1, second.Index);

        await using var holder = new NpgsqlConnection(fixture.HostSettings["ConnectionStrings:db"]);
        await holder.OpenAsync(timeout.Token);
        await using var holding = await holder.BeginTransactionAsync(timeout.Token);
        // A move of the first card out of the column, as crud writes it, not committed yet: the second card is renumbered to 0.
        await ExecuteAsync(holder, $"""
            UPDATE "Cards" SET "ColumnId" = '{elsewhere.Id}', "Index" = 0, "Version" = "Version" + 1 WHERE "Id" = '{first.Id}';
            UPDATE "Cards" SET "Index" = "Index" - 1 WHERE "ColumnId" = '{column.Id}' AND "Index" > 0;
            """, timeout.Token);
        var update = fixture.Cards.UpdateCardAsync(new UpdateCardRequest { Id = second.Id, Version = second.Version, Title = "Renamed meanwhile" }, cancellationToken: timeout.Token).ResponseAsync;
        await LockWaitsAsync(1, timeout.Token);
        await holding.CommitAsync(timeout.Token);

        var reply = await update;
        var stored = Assert.Single((await fixture.Cards.ListCardsAsync(new ListCardsRequest { ColumnId = column.Id }, cancellationToken: timeout.Token)).Cards);
        Assert.Equal(0, stored.Index);
        Assert.Equal(stored.Index, reply.Index);
        var published = IntegrationEvent.Parser.ParseFrom((await fixture.OutboxForBoardAsync(board.Id)).MaxBy(m => m.Position)!.Payload);
        Assert.Equal(stored.Index, published.CardUpdated.Card.Index);
    }

    private async Task<Column> ColumnAsync(Board board, string name) =>
        await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = name });

    private async Task<Card> CardAsync(Column column, string title) =>
        await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = title });

    private static async Task<(StatusCode Status, string Detail)> Outcome(Task call)
    {
        try
        {
            await call;
            return (StatusCode.OK, "");
        }
        catch (RpcException ex)
        {
            return (ex.StatusCode, ex.Status.Detail);
        }
    }

    /// <summary>Until this many of crud's statements wait for a row lock.</summary>
    private async Task LockWaitsAsync(int count, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(fixture.HostSettings["ConnectionStrings:db"]);
        await connection.OpenAsync(ct);
        await Wait.UntilAsync(async () =>
        {
            await using var waiting = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
            return (long)(await waiting.ExecuteScalarAsync(ct))! >= count;
        }, TimeSpan.FromSeconds(10), $"{count} statements to wait for a row lock");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
