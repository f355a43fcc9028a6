using Polyglot.Crud.Data;

namespace Polyglot.Crud.Tests;

/// <summary>The outbox: one row per committed change, none for a rolled-back one, positions gap-free in commit order.</summary>
public abstract class OutboxTests<TFixture>(TFixture fixture) where TFixture : CrudFixture
{
    [Fact]
    public async Task EveryCommittedChangeWritesExactlyOneEventInOrder()
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Life cycle" });
        await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = 1, Name = "Life cycle 2" });
        var todo = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var done = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "Done" });
        var card = await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = todo.Id, Title = "Card" });
        await fixture.Cards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = 1, Title = "Card 2" });
        await fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = card.Id, Version = 2, ColumnId = done.Id });
        await fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = card.Id, Version = 3 });
        await fixture.Columns.UpdateColumnAsync(new UpdateColumnRequest { Id = todo.Id, Version = 1, Name = "Later" });
        await fixture.Columns.DeleteColumnAsync(new DeleteColumnRequest { Id = todo.Id, Version = 2 });
        await fixture.Boards.DeleteBoardAsync(new DeleteBoardRequest { Id = board.Id, Version = 2 });

        var rows = await fixture.OutboxForBoardAsync(board.Id);

        Assert.Equal(
            ["BoardCreated", "BoardUpdated", "ColumnCreated", "ColumnCreated", "CardCreated", "CardUpdated",
             "CardMoved", "CardDeleted", "ColumnUpdated", "ColumnDeleted", "BoardDeleted"],
            rows.Select(r => r.Type));
        Assert.True(rows.Zip(rows.Skip(1)).All(pair => pair.First.Position < pair.Second.Position));
        Assert.Equal(rows.Count, rows.Select(r => r.EventId).Distinct().Count());
        foreach (var row in rows)
        {
            var integrationEvent = IntegrationEvent.Parser.ParseFrom(row.Payload);
            Assert.Equal(row.Position, integrationEvent.Position);
            Assert.Equal(row.EventId.ToString(), integrationEvent.EventId);
            Assert.Equal(board.Id, integrationEvent.BoardId);
            Assert.Equal(row.Type, integrationEvent.PayloadCase.ToString());
        }
        var moved = IntegrationEvent.Parser.ParseFrom(rows[6].Payload).CardMoved;
        Assert.Equal((todo.Id, 0, done.Id), (moved.FromColumnId, moved.FromIndex, moved.Card.ColumnId));
    }

    [Fact]
    public async Task ARolledBackChangeLeavesNoEventAndNoGap()
    {
        var boardId = Guid.CreateVersion7();
        var before = await WrittenPositionAsync();

        await using (var scope = fixture.Host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            var now = db.Now();
            db.Boards.Add(new Data.Board { Id = boardId, Name = "Never", CreatedAt = now, UpdatedAt = now });
            db.Events.Raise(new IntegrationEvent { BoardId = boardId.ToString(), BoardCreated = new BoardCreated() });
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }
        var next = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "After the rollback" });

        Assert.Empty(await fixture.OutboxForBoardAsync(boardId.ToString()));
        Assert.False(await fixture.QueryAsync(db => db.Boards.AnyAsync(b => b.Id == boardId)));
        Assert.Equal(before + 1, Assert.Single(await fixture.OutboxForBoardAsync(next.Id)).Position);
    }

    [Fact]
    public async Task ReadersNeverSeeAGapWhileWritersCommitConcurrently()
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Busy" });
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "Inbox" });
        using var writersDone = new CancellationTokenSource();

        // Four writers on two kinds of change; a reader checks that whatever it sees is the
        // gap-free prefix 1..max, i.e. no smaller position commits after a larger one.
        var writers = Task.WhenAll(Enumerable.Range(0, 4).Select(async w =>
        {
            for (var i = 0; i < 10; i++)
            {
                await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = $"{w}-{i}" });
                await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"{w}-{i}" });
            }
        })).ContinueWith(_ => writersDone.Cancel(), TaskScheduler.Default);
        var observations = 0;
        while (!writersDone.IsCancellationRequested)
        {
            // One statement, so one snapshot.
            var seen = await fixture.QueryAsync(db => db.Outbox
                .GroupBy(_ => 1)
                .Select(g => new { Count = g.LongCount(), Max = g.Max(m => m.Position) })
                .SingleAsync());
            Assert.True(seen.Count == seen.Max, $"Saw position {seen.Max} with {seen.Count} rows: a smaller position was not yet committed.");
            observations++;
        }
        await writers;

        Assert.True(observations > 0);
        Assert.Equal(await WrittenPositionAsync(), await fixture.QueryAsync(db => db.Outbox.LongCountAsync()));
    }

    [Fact]
    public async Task TheRelayPublishesEveryEventAndAdvancesItsCursor()
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Published" });
        var position = Assert.Single(await fixture.OutboxForBoardAsync(board.Id)).Position;

        await Wait.UntilAsync(
            async () => await CursorAsync(OutboxCursor.Published) >= position,
            TimeSpan.FromSeconds(10),
            $"the relay to confirm position {position}");
    }

    private Task<long> WrittenPositionAsync() => CursorAsync(OutboxCursor.Written);

    private Task<long> CursorAsync(string name) =>
        fixture.QueryAsync(db => db.OutboxCursors.Where(c => c.Name == name).Select(c => c.Position).SingleAsync());
}

public sealed class SqliteOutboxTests(SqliteCrudFixture fixture)
    : OutboxTests<SqliteCrudFixture>(fixture), IClassFixture<SqliteCrudFixture>;

public sealed class PostgresOutboxTests(PostgresCrudFixture fixture)
    : OutboxTests<PostgresCrudFixture>(fixture), IClassFixture<PostgresCrudFixture>;
