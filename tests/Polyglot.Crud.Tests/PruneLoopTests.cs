using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Polyglot.Crud.Tests;

/// <summary>The pruner as crud runs it — a loop on its interval — driven by a fake clock: an hour on, what has aged past the window goes.</summary>
public sealed class PruneLoopTests(SqliteCrudFixture fixture) : IClassFixture<SqliteCrudFixture>
{
    [Fact]
    public async Task EveryIntervalThePrunerRemovesWhatHasAgedPastTheWindow()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 3; i++)
        {
            await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"Aging {i}" }, cancellationToken: timeout.Token);
        }
        var head = await fixture.CursorAsync(OutboxCursor.Written);
        await Wait.UntilAsync(async () => await fixture.CursorAsync(OutboxCursor.Published) == head, TimeSpan.FromSeconds(10), "the relay to publish everything");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pruner = new OutboxPruner(
            fixture.Host.Services.GetRequiredService<IServiceScopeFactory>(), clock,
            Options.Create(new OutboxOptions { Retention = TimeSpan.FromHours(1), PruneInterval = TimeSpan.FromHours(1) }),
            NullLogger<OutboxPruner>.Instance);

        await pruner.StartAsync(timeout.Token); // its first round, at once: nothing is an hour old
        var before = await fixture.QueryAsync(db => db.Outbox.CountAsync(timeout.Token));
        clock.Advance(TimeSpan.FromHours(2)); // the next round is due, and every event is two hours old
        await Wait.UntilAsync(async () => await fixture.QueryAsync(db => db.Outbox.CountAsync(timeout.Token)) == 0, TimeSpan.FromSeconds(10), "the next round to prune");
        await pruner.StopAsync(timeout.Token);

        Assert.Equal(head, before);
    }
}
