using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Polyglot.Crud.Caching;

namespace Polyglot.Crud.Tests;

/// <summary>
/// GetBoard, GetColumn and GetCard come from memory when they can, and never older than what the
/// replica has seen committed: a client reads its own writes (and the rows they renumbered) at
/// once, another replica within ReadCache:MaxStaleness, and a read that began before a commit
/// is not served after it.
/// </summary>
public sealed class ReadCacheTests(SqliteCrudFixture fixture) : IClassFixture<SqliteCrudFixture>
{
    private const string Meter = "Polyglot.Crud.ReadCache";

    [Fact]
    public async Task ARowReadBeforeACommitIsNotServedOnceTheCommitIsSeen()
    {
        using var cache = NewCache(TimeSpan.FromMinutes(1));
        cache.CaughtUp(Stopwatch.GetTimestamp());
        var (board, id) = (Guid.NewGuid(), Guid.NewGuid());
        var slowRead = new TaskCompletionSource();
        var reading = cache.GetAsync<string>(id, async _ =>
        {
            await slowRead.Task;
            return ("old", board);
        }, CancellationToken.None);

        cache.Invalidate(board); // a commit lands while the read is under way
        slowRead.SetResult();
        Assert.Equal("old", (await reading)?.Row); // its caller asked before the commit

        var loads = 0;
        Assert.Equal("new", (await cache.GetAsync<string>(id, _ =>
        {
            loads++;
            return Task.FromResult<(string, Guid)?>(("new", board));
        }, CancellationToken.None))?.Row);
        Assert.Equal(("new", board), await cache.GetAsync<string>(id, _ => throw new InvalidOperationException("a hit reads nothing"), CancellationToken.None));
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task NothingIsServedFromMemoryWhileTheOutboxHasNotBeenReadWithinTheBound()
    {
        var bound = TimeSpan.FromSeconds(1);
        using var cache = NewCache(bound);
        var (board, id) = (Guid.NewGuid(), Guid.NewGuid());
        var loads = 0;
        Task<(string, Guid)?> Load(CancellationToken _)
        {
            loads++;
            return Task.FromResult<(string, Guid)?>(("row", board));
        }

        await cache.GetAsync<string>(id, Load, CancellationToken.None);
        await cache.GetAsync<string>(id, Load, CancellationToken.None); // never caught up: a miss
        cache.CaughtUp(Stopwatch.GetTimestamp() - (long)(bound.TotalSeconds * Stopwatch.Frequency)); // a round that started a bound ago
        await cache.GetAsync<string>(id, Load, CancellationToken.None);
        Assert.Equal(3, loads);

        cache.CaughtUp(Stopwatch.GetTimestamp());
        await cache.GetAsync<string>(id, Load, CancellationToken.None);
        Assert.Equal(3, loads); // a hit, now that the outbox has just been read
    }

    [Fact]
    public async Task AClientReadsItsOwnWritesAndTheCardsTheyRenumberedAtOnce()
    {
        using var hits = new MetricCollector<long>(fixture.Host.Services.GetRequiredService<IMeterFactory>(), Meter, "polyglot.read_cache.hits");
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Cached" });
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var cards = new List<Card>();
        foreach (var title in new[] { "a", "b", "c" })
        {
            cards.Add(await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = title }));
        }
        await ReadUntilCachedAsync(hits, () => fixture.Cards.GetCardAsync(new GetCardRequest { Id = cards[1].Id }).ResponseAsync);
        Assert.Equal(1, (await fixture.Cards.GetCardAsync(new GetCardRequest { Id = cards[1].Id })).Index);

        // Moving "a" to the end renumbers "b", which no event names.
        await fixture.Cards.MoveCardAsync(new MoveCardRequest { Id = cards[0].Id, Version = 1, ColumnId = column.Id, Index = 2 });
        Assert.Equal(0, (await fixture.Cards.GetCardAsync(new GetCardRequest { Id = cards[1].Id })).Index);

        await ReadUntilCachedAsync(hits, () => fixture.Cards.GetCardAsync(new GetCardRequest { Id = cards[2].Id }).ResponseAsync);
        var updated = await fixture.Cards.UpdateCardAsync(new UpdateCardRequest { Id = cards[2].Id, Version = 1, Title = "c, edited" });
        Assert.Equal(updated, await fixture.Cards.GetCardAsync(new GetCardRequest { Id = cards[2].Id }));
        await fixture.Cards.DeleteCardAsync(new DeleteCardRequest { Id = cards[2].Id, Version = updated.Version });
        var gone = await Assert.ThrowsAsync<RpcException>(() => fixture.Cards.GetCardAsync(new GetCardRequest { Id = cards[2].Id }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);

        await ReadUntilCachedAsync(hits, () => fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = board.Id }).ResponseAsync);
        await ReadUntilCachedAsync(hits, () => fixture.Columns.GetColumnAsync(new GetColumnRequest { Id = column.Id }).ResponseAsync);
        var renamed = await fixture.Columns.UpdateColumnAsync(new UpdateColumnRequest { Id = column.Id, Version = column.Version, Name = "Doing" });
        Assert.Equal(renamed, await fixture.Columns.GetColumnAsync(new GetColumnRequest { Id = column.Id }));
        var described = await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = board.Version, Name = "Cached", Description = "now described" });
        Assert.Equal(described, await fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = board.Id }));
    }

    [Fact]
    public async Task AfterEveryWriteReturnsItsReplicaAnswersWithItWhileOthersReadTheSameCardFlatOut()
    {
        using var hits = new MetricCollector<long>(fixture.Host.Services.GetRequiredService<IMeterFactory>(), Meter, "polyglot.read_cache.hits");
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Raced" });
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var card = await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "v1" });
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await fixture.Cards.GetCardAsync(new GetCardRequest { Id = card.Id });
            }
        })).ToArray();

        for (var version = 1; version <= 50; version++)
        {
            card = await fixture.Cards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = version, Title = $"v{version + 1}" });
            Assert.Equal(card, await fixture.Cards.GetCardAsync(new GetCardRequest { Id = card.Id }));
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.True(Count(hits) > 0, "the readers were answered from memory in between");
    }

    [Fact]
    public async Task AnotherReplicaServesACommitWithinTheStalenessBound()
    {
        var bound = TimeSpan.FromMilliseconds(500);
        var settings = new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            ["ConnectionStrings:bus"] = (await LocalServer.RabbitMQAsync()).ConnectionString,
            ["ReadCache:MaxStaleness"] = bound.ToString(),
        };
        await using var writer = new ServiceHost<BoardsService>(settings);
        await using var reader = new ServiceHost<BoardsService>(settings);
        var (writerBoards, writerCards) = (new Boards.BoardsClient(writer.CreateSignedInChannel()), new Cards.CardsClient(writer.CreateSignedInChannel()));
        var readerCards = new Cards.CardsClient(reader.CreateSignedInChannel());
        using var hits = new MetricCollector<long>(reader.Services.GetRequiredService<IMeterFactory>(), Meter, "polyglot.read_cache.hits");

        var board = await writerBoards.CreateBoardAsync(new CreateBoardRequest { Name = "Two replicas" });
        var column = await new Columns.ColumnsClient(writer.CreateSignedInChannel()).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var card = await writerCards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "v1" });
        await ReadUntilCachedAsync(hits, () => readerCards.GetCardAsync(new GetCardRequest { Id = card.Id }).ResponseAsync);

        var committed = Stopwatch.StartNew();
        card = await writerCards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = 1, Title = "v2" });
        await Wait.UntilAsync(async () => (await readerCards.GetCardAsync(new GetCardRequest { Id = card.Id })).Equals(card), TimeSpan.FromSeconds(10), "the other replica to serve the update");
        Assert.True(committed.Elapsed < TimeSpan.FromSeconds(10));

        // The bound itself: once it has passed since the commit, the old row is never served.
        await ReadUntilCachedAsync(hits, () => readerCards.GetCardAsync(new GetCardRequest { Id = card.Id }).ResponseAsync);
        card = await writerCards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = 2, Title = "v3" });
        await Task.Delay(bound); // the property under test is a duration
        Assert.Equal(card, await readerCards.GetCardAsync(new GetCardRequest { Id = card.Id }));
    }

    [Fact]
    public async Task AnOwnerDemotedOnAnotherReplicaDeletesNothingThroughTheRoleThisReplicaHasInMemory()
    {
        var settings = await ReplicasReadingTheOutboxSlowlyAsync(LocalAuth.Shared.CrudSettings(":").Concat(LocalAuth.Member.ClientSettings("member", ":")));
        await using var first = new ServiceHost<BoardsService>(settings);
        await using var second = new ServiceHost<BoardsService>(settings);
        var board = await new Boards.BoardsClient(first.CreateSignedInChannel()).CreateBoardAsync(new CreateBoardRequest { Name = "Handed over" });
        var members = new Members.MembersClient(first.CreateSignedInChannel());
        await members.SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = LocalAuth.Member.ClientId, Role = Role.Owner });
        var formerOwner = new Boards.BoardsClient(second.CreateSignedInChannel());
        using var hits = new MetricCollector<long>(second.Services.GetRequiredService<IMeterFactory>(), Meter, "polyglot.read_cache.hits");
        await ReadUntilCachedAsync(hits, () => formerOwner.GetBoardAsync(new GetBoardRequest { Id = board.Id }).ResponseAsync);

        // The new owner demotes the first on one replica; the first, on the other, deletes.
        await new Members.MembersClient(LocalAuth.Member.CrudChannel(first.GrpcAddress, first.HttpAddress))
            .SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = LocalAuth.Shared.ClientId, Role = Role.Viewer });
        var refused = await Assert.ThrowsAsync<RpcException>(() => formerOwner.DeleteBoardAsync(new DeleteBoardRequest { Id = board.Id, Version = 1 }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal(board, await new Boards.BoardsClient(first.CreateSignedInChannel()).GetBoardAsync(new GetBoardRequest { Id = board.Id }));
    }

    [Fact]
    public async Task AWriteRefusedForAnOlderVersionLeavesNoOldRowForTheReReadItAsksFor()
    {
        var settings = await ReplicasReadingTheOutboxSlowlyAsync(LocalAuth.Shared.CrudSettings(":"));
        await using var first = new ServiceHost<BoardsService>(settings);
        await using var second = new ServiceHost<BoardsService>(settings);
        var (firstCards, secondCards) = (new Cards.CardsClient(first.CreateSignedInChannel()), new Cards.CardsClient(second.CreateSignedInChannel()));
        var board = await new Boards.BoardsClient(first.CreateSignedInChannel()).CreateBoardAsync(new CreateBoardRequest { Name = "Edited on two replicas" });
        var column = await new Columns.ColumnsClient(first.CreateSignedInChannel()).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var card = await firstCards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "v1" });
        using var hits = new MetricCollector<long>(second.Services.GetRequiredService<IMeterFactory>(), Meter, "polyglot.read_cache.hits");
        await ReadUntilCachedAsync(hits, () => secondCards.GetCardAsync(new GetCardRequest { Id = card.Id }).ResponseAsync);

        // Changed on the first replica; the second, which still serves version 1 from memory, refuses a write of it.
        var changed = await firstCards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = 1, Title = "v2, on the first" });
        Assert.Equal(card, await secondCards.GetCardAsync(new GetCardRequest { Id = card.Id }));
        var refused = await Assert.ThrowsAsync<RpcException>(() => secondCards.UpdateCardAsync(new UpdateCardRequest { Id = card.Id, Version = 1, Title = "v2, on the second" }).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, refused.StatusCode);
        Assert.Contains("is at version 2, not 1: re-read it", refused.Status.Detail);

        Assert.Equal(changed, await secondCards.GetCardAsync(new GetCardRequest { Id = card.Id }));
    }

    /// <summary>Two crud hosts on one new database: each sees the other's commits only at its next read of the outbox, seconds away.</summary>
    private static async Task<Dictionary<string, string?>> ReplicasReadingTheOutboxSlowlyAsync(IEnumerable<KeyValuePair<string, string>> auth) =>
        new(auth.Select(setting => KeyValuePair.Create(setting.Key, (string?)setting.Value)))
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            ["ConnectionStrings:bus"] = (await LocalServer.RabbitMQAsync()).ConnectionString,
            ["ReadCache:PollInterval"] = "00:00:10",
            ["ReadCache:MaxStaleness"] = "00:01:00",
        };

    private static ReadCache NewCache(TimeSpan maxStaleness) =>
        new(Options.Create(new ReadCacheOptions { MaxStaleness = maxStaleness }), new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    /// <summary>Reads until a read is answered from memory (the first fills the cache; the replica may not have read its outbox yet).</summary>
    private static async Task ReadUntilCachedAsync<T>(MetricCollector<long> hits, Func<Task<T>> read)
    {
        var before = Count(hits);
        await Wait.UntilAsync(async () =>
        {
            await read();
            return Count(hits) > before;
        }, TimeSpan.FromSeconds(10), "a read answered from memory");
    }

    private static long Count(MetricCollector<long> hits) => hits.GetMeasurementSnapshot().Sum(m => m.Value);
}
