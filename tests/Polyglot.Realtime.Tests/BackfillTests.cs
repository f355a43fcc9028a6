namespace Polyglot.Realtime.Tests;

/// <summary>A backfill from crud's log follows the log's head whatever size crud gives its pages.</summary>
[Collection(SplitCollection.Name)]
public sealed class BackfillTests(SmallPagesSplitFixture fixture) : IClassFixture<SmallPagesSplitFixture>
{
    [Fact]
    public async Task AResumeReadsEveryPageUpToTheHeadWhenCrudCapsItsPagesBelowWhatRealtimeAsks()
    {
        const int Missed = 5 * SmallPagesSplitFixture.PageCap + 1;
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var first = await fixture.ObserveNewBoardAsync("Paged backfill", timeout.Token);
        first.Dispose(); // unsubscribed before the restart
        var (board, last) = (first.Board, first.Created);

        await fixture.RestartStreamingAsync(meanwhile: async () =>
        {
            for (var version = 1; version <= Missed; version++)
            {
                await fixture.RenameAsync(board, $"Missed {version}", version);
            }
        });
        using var resumed = await fixture.RealtimeClient.SubscribeAsync($"board:{board.Id}", last, timeout.Token);
        await fixture.RenameAsync(board, "Live", Missed + 1);

        var events = await Streams.ReadEventsAsync(resumed.ResponseStream, Missed + 1, timeout.Token);
        Assert.Equal([.. Enumerable.Range(1, Missed).Select(v => $"Missed {v}"), "Live"], events.Select(e => e.BoardUpdated.Board.Name));
    }
}
