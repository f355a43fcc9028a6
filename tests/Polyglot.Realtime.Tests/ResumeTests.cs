using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Crud.Data;
using Board = Polyglot.Contracts.Boards.V1.Board;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// A subscriber that reconnects with the last position it saw gets every later event once, in
/// order: from realtime's history, from crud's event log after a realtime restart, or an explicit
/// OUT_OF_RANGE when even crud no longer has them. Real crud, RabbitMQ and realtime throughout.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class ResumeTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    private readonly Boards.BoardsClient _boards = new(fixture.Crud.CreateGrpcChannel());

    private Contracts.Realtime.V1.Realtime.RealtimeClient Realtime => new(fixture.Realtime.CreateGrpcChannel());

    [Fact]
    public async Task AResumedSubscriberGetsWhatItMissedFromHistoryThenLiveEvents()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var board = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Resume" });
        var channel = $"board:{board.Id}";
        long last;
        using (var first = await Realtime.SubscribeAsync(channel, 0, timeout.Token))
        {
            last = (await Streams.ReadEventsAsync(first.ResponseStream, 1, timeout.Token))[0].Position;
        }

        await RenameAsync(board, "Missed 1", 1);
        await RenameAsync(board, "Missed 2", 2);
        using var resumed = await Realtime.SubscribeAsync(channel, last, timeout.Token);
        await RenameAsync(board, "Live", 3);

        var events = await Streams.ReadEventsAsync(resumed.ResponseStream, 3, timeout.Token);
        Assert.Equal(["Missed 1", "Missed 2", "Live"], events.Select(e => e.BoardUpdated.Board.Name));
        Assert.Equal(events.Select(e => e.Position).Order(), events.Select(e => e.Position));
    }

    [Fact]
    public async Task AfterRealtimeIsReplacedMissedEventsAreBackfilledFromCrudsLogExactlyOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var board = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Restart" });
        long last;
        using (var first = await Realtime.SubscribeAsync($"board:{board.Id}", 0, timeout.Token))
        {
            last = (await Streams.ReadEventsAsync(first.ResponseStream, 1, timeout.Token))[0].Position;
        }

        await fixture.ReplaceRealtimeAsync(whileDown: async () =>
        {
            for (var version = 1; version <= 3; version++)
            {
                await RenameAsync(board, $"While down {version}", version);
            }
        });
        using var resumed = await Realtime.SubscribeAsync($"board:{board.Id}", last, timeout.Token);
        await RenameAsync(board, "After the replacement", 4);

        var events = await Streams.ReadEventsAsync(resumed.ResponseStream, 4, timeout.Token);
        Assert.Equal(["While down 1", "While down 2", "While down 3", "After the replacement"], events.Select(e => e.BoardUpdated.Board.Name));
        Assert.Equal(events.Count, events.Select(e => e.Position).Distinct().Count());
    }

    private async Task RenameAsync(Board board, string name, long version) =>
        await _boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = name });
}

/// <summary>Its own crud and realtime: pruning crud's log would spoil the other resume tests.</summary>
[Collection(SplitCollection.Name)]
public sealed class HistoryLostTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    private readonly Boards.BoardsClient _boards = new(fixture.Crud.CreateGrpcChannel());

    private Contracts.Realtime.V1.Realtime.RealtimeClient Realtime => new(fixture.Realtime.CreateGrpcChannel());

    [Fact]
    public async Task WhenCrudNoLongerHoldsTheMissedEventsTheSubscriberIsToldHistoryIsLost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var board = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Pruned" });
        await RenameAsync(board, "Later", 1);
        // Prune crud's log up to the board's last event, as a retention job would, while a new
        // realtime (whose history is empty) takes over.
        long pruned = 0;
        await fixture.ReplaceRealtimeAsync(whileDown: async () => pruned = await InCrudAsync(async db =>
        {
            var upTo = await db.Outbox.MaxAsync(m => m.Position);
            await db.Outbox.Where(m => m.Position <= upTo).ExecuteDeleteAsync();
            return upTo;
        }));

        using var resumed = Realtime.Subscribe(new Contracts.Realtime.V1.SubscribeRequest { Channel = "all", AfterPosition = 0 }, cancellationToken: timeout.Token);
        Assert.True(await resumed.ResponseStream.MoveNext(timeout.Token)); // subscribed
        var error = await Assert.ThrowsAsync<RpcException>(() => resumed.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
        Assert.Contains($"after position {pruned}", error.Status.Detail);
    }

    private async Task RenameAsync(Board board, string name, long version) =>
        await _boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = name });

    private async Task<T> InCrudAsync<T>(Func<BoardsDbContext, Task<T>> work)
    {
        await using var scope = fixture.Crud.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<BoardsDbContext>());
    }
}
