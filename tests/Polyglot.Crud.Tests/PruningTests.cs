using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Hosting;
using Polyglot.Crud.Data;

namespace Polyglot.Crud.Tests;

/// <summary>The event log keeps published events for the retention window, then lets them go — and never an unpublished one.</summary>
public abstract class PruningTests<TFixture>(TFixture fixture) where TFixture : CrudFixture
{
    [Fact]
    public async Task PublishedEventsOlderThanTheWindowArePrunedAndResumingBeforeThemIsHistoryLost()
    {
        var head = await fixture.PublishedBoardsAsync("Old");

        var kept = await fixture.Pruner.PruneAsync(TimeSpan.FromDays(1), CancellationToken.None);
        var pruned = await fixture.Pruner.PruneAsync(TimeSpan.Zero, CancellationToken.None);
        var next = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "New" });

        Assert.Equal(0, kept);
        Assert.Equal(head, pruned);
        Assert.Equal(head + 1, Assert.Single(await fixture.OutboxForBoardAsync(next.Id)).Position);
        var log = new EventLog.EventLogClient(fixture.Host.CreateSignedInChannel());
        var error = await Assert.ThrowsAsync<RpcException>(() => log.ListEventsAsync(new ListEventsRequest { AfterPosition = 0 }).ResponseAsync);
        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Equal(head + 1, Assert.Single((await log.ListEventsAsync(new ListEventsRequest { AfterPosition = head })).Events).Position);
    }

}

/// <summary>
/// A read of the event log is several statements; the pruner, in another replica, may run between
/// them. (A fixture of its own: it prunes everything, which the test above counts on being first to do.)
/// </summary>
public abstract class PruningWhileReadingTests<TFixture>(TFixture fixture) where TFixture : CrudFixture
{
    [Fact]
    public async Task APruneBetweenTheStatementsOfAReadMakesItHistoryLostNeverAPageWithAGap()
    {
        var head = await fixture.PublishedBoardsAsync("Pruned while read");
        var after = head - 3;
        var pruneOnce = new PruneAfterTheFirstStatement(() => fixture.Pruner.PruneAsync(TimeSpan.Zero, CancellationToken.None));
        await using var db = Context(pruneOnce);

        var read = await Record.ExceptionAsync(async () =>
        {
            var (events, _) = await EventLogReader.ReadPageAsync(db, after, boardId: null, pageSize: 100, CancellationToken.None);
            Assert.Equal([head - 2, head - 1, head], events.Select(e => e.Position));
        });

        Assert.True(pruneOnce.Pruned > 0, "Nothing was pruned during the read.");
        Assert.True(read is null or HistoryLostException, $"Neither the whole page nor history lost: {read}");
    }

    private BoardsDbContext Context(IInterceptor interceptor)
    {
        var connectionString = fixture.HostSettings["ConnectionStrings:db"];
        return fixture.HostSettings["Database:Provider"] == nameof(DatabaseProvider.Postgres)
            ? new PostgresBoardsDbContext(new DbContextOptionsBuilder<PostgresBoardsDbContext>().UseNpgsql(connectionString).AddInterceptors(interceptor).Options)
            : new SqliteBoardsDbContext(new DbContextOptionsBuilder<SqliteBoardsDbContext>().UseSqlite(connectionString).AddInterceptors(interceptor).Options);
    }

    /// <summary>Prunes once, as the pruner would in another process, as soon as the read's first statement has run.</summary>
    private sealed class PruneAfterTheFirstStatement(Func<Task<long>> prune) : DbCommandInterceptor
    {
        public long Pruned { get; private set; }

        public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            if (Pruned == 0)
            {
                Pruned = await prune();
            }
            return result;
        }
    }
}

public sealed class SqlitePruningTests(SqliteCrudFixture fixture)
    : PruningTests<SqliteCrudFixture>(fixture), IClassFixture<SqliteCrudFixture>;

public sealed class PostgresPruningTests(PostgresCrudFixture fixture)
    : PruningTests<PostgresCrudFixture>(fixture), IClassFixture<PostgresCrudFixture>;

public sealed class SqlitePruningWhileReadingTests(SqliteCrudFixture fixture)
    : PruningWhileReadingTests<SqliteCrudFixture>(fixture), IClassFixture<SqliteCrudFixture>;

public sealed class PostgresPruningWhileReadingTests(PostgresCrudFixture fixture)
    : PruningWhileReadingTests<PostgresCrudFixture>(fixture), IClassFixture<PostgresCrudFixture>;

public sealed class UnpublishedPruningTests(UnpublishedCrudFixture fixture) : IClassFixture<UnpublishedCrudFixture>
{
    [Fact]
    public async Task AnEventTheBusHasNotConfirmedIsNeverPruned()
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Waiting for the bus" });

        var pruned = await fixture.Pruner.PruneAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(0, pruned);
        Assert.Single(await fixture.OutboxForBoardAsync(board.Id));
        Assert.Equal(0, await fixture.CursorAsync(OutboxCursor.Published));
    }
}
