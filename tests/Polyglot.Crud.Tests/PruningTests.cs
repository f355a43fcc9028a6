using Microsoft.Extensions.Hosting;

namespace Polyglot.Crud.Tests;

/// <summary>The event log keeps published events for the retention window, then lets them go — and never an unpublished one.</summary>
public abstract class PruningTests<TFixture>(TFixture fixture) where TFixture : CrudFixture
{
    [Fact]
    public async Task PublishedEventsOlderThanTheWindowArePrunedAndResumingBeforeThemIsHistoryLost()
    {
        for (var i = 0; i < 5; i++)
        {
            await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"Old {i}" });
        }
        var head = await fixture.CursorAsync(OutboxCursor.Written);
        await Wait.UntilAsync(async () => await fixture.CursorAsync(OutboxCursor.Published) == head, TimeSpan.FromSeconds(10), "the relay to publish everything");

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

public sealed class SqlitePruningTests(SqliteCrudFixture fixture)
    : PruningTests<SqliteCrudFixture>(fixture), IClassFixture<SqliteCrudFixture>;

public sealed class PostgresPruningTests(PostgresCrudFixture fixture)
    : PruningTests<PostgresCrudFixture>(fixture), IClassFixture<PostgresCrudFixture>;

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
