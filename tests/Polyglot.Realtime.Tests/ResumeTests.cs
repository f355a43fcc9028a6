using Polyglot.Crud.Outbox;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// A subscriber that reconnects with the last position it saw gets every later event once, in
/// order: from realtime's history, from crud's event log after a realtime restart, or an explicit
/// OUT_OF_RANGE when even crud no longer has them. Real crud, RabbitMQ and realtime throughout.
/// </summary>
public abstract class ResumeTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    [Fact]
    public async Task AResumedSubscriberGetsWhatItMissedFromHistoryThenLiveEvents()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        // The first subscriber stays on as an observer: once it has seen the missed events,
        // realtime holds them, and the resumed one must get them from history.
        using var first = await fixture.ObserveNewBoardAsync("Resume", timeout.Token);

        await fixture.RenameAsync(first.Board, "Missed 1", 1);
        await fixture.RenameAsync(first.Board, "Missed 2", 2);
        await Streams.ReadEventsAsync(first.Observer.ResponseStream, 2, timeout.Token);
        using var resumed = await fixture.RealtimeClient.SubscribeAsync(first.Channel, first.Created, timeout.Token);
        await fixture.RenameAsync(first.Board, "Live", 3);

        var events = await Streams.ReadEventsAsync(resumed.ResponseStream, 3, timeout.Token);
        Assert.Equal(["Missed 1", "Missed 2", "Live"], events.Select(e => e.BoardUpdated.Board.Name));
        Assert.Equal(events.Select(e => e.Position).Order(), events.Select(e => e.Position));
    }

    [Fact]
    public async Task AfterTheStreamingSideRestartsMissedEventsAreBackfilledFromCrudsLogExactlyOnce()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var first = await fixture.ObserveNewBoardAsync("Restart", timeout.Token);
        first.Dispose(); // unsubscribed before the restart
        var (board, last) = (first.Board, first.Created);

        await fixture.RestartStreamingAsync(meanwhile: async () =>
        {
            for (var version = 1; version <= 3; version++)
            {
                await fixture.RenameAsync(board, $"While down {version}", version);
            }
        });
        using var resumed = await fixture.RealtimeClient.SubscribeAsync($"board:{board.Id}", last, timeout.Token);
        await fixture.RenameAsync(board, "After the replacement", 4);

        var events = await Streams.ReadEventsAsync(resumed.ResponseStream, 4, timeout.Token);
        Assert.Equal(["While down 1", "While down 2", "While down 3", "After the replacement"], events.Select(e => e.BoardUpdated.Board.Name));
        Assert.Equal(events.Count, events.Select(e => e.Position).Distinct().Count());
    }

    [Fact]
    public async Task AfterTheStreamingSideRestartsALiveSubscriptionStartsAtTheLogsHeadAndTheNextEventFollowsIt()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(60));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Head after restart" });
        await fixture.RestartStreamingAsync(meanwhile: () => fixture.RenameAsync(board, "While down", 1));
        var head = await fixture.InCrudAsync(db => db.OutboxCursors.Where(c => c.Name == OutboxCursor.Written).Select(c => c.Position).SingleAsync());

        // The new realtime has seen no event yet; its `subscribed` position must still be true.
        using var live = fixture.RealtimeClient.Subscribe(new SubscribeRequest { Channel = "all" }, cancellationToken: timeout.Token);
        Assert.True(await live.ResponseStream.MoveNext(timeout.Token));
        var start = live.ResponseStream.Current.Subscribed.Position;
        await fixture.RenameAsync(board, "Live", 2);

        Assert.True(head > 0);
        Assert.Equal(head, start);
        var next = (await Streams.ReadEventsAsync(live.ResponseStream, 1, timeout.Token))[0];
        Assert.Equal(start + 1, next.Position);
        Assert.Equal("Live", next.BoardUpdated.Board.Name);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitResumeTests(SplitFixture fixture) : ResumeTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithResumeTests(MonolithFixture fixture) : ResumeTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
