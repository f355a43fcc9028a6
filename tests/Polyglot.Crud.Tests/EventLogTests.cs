using Google.Rpc;

namespace Polyglot.Crud.Tests;

/// <summary>crud's event log over gRPC: what realtime backfills from.</summary>
public abstract class EventLogTests<TFixture>(TFixture fixture) where TFixture : CrudFixture
{
    private EventLog.EventLogClient Log => new(fixture.Host.CreateSignedInChannel());

    [Fact]
    public async Task ABoardsEventsReadBackInPositionOrderPageByPage()
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Logged" });
        var other = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Other" });
        for (var version = 1; version <= 4; version++)
        {
            await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = $"v{version + 1}" });
            await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = other.Id, Version = version, Name = $"v{version + 1}" });
        }

        var events = new List<IntegrationEvent>();
        var request = new ListEventsRequest { BoardId = board.Id, PageSize = 2 };
        ListEventsResponse page;
        do
        {
            page = await Log.ListEventsAsync(request);
            events.AddRange(page.Events);
            request.AfterPosition = page.Events.LastOrDefault()?.Position ?? request.AfterPosition;
        }
        while (page.Events.Count == request.PageSize);

        Assert.Equal(["Logged", "v2", "v3", "v4", "v5"], events.Select(e => (e.BoardCreated?.Board ?? e.BoardUpdated.Board).Name));
        Assert.All(events, e => Assert.Equal(board.Id, e.BoardId));
        Assert.Equal(events.Select(e => e.Position).Order(), events.Select(e => e.Position));
        Assert.True(page.HeadPosition >= events[^1].Position);
    }

    [Fact]
    public async Task TheWholeLogAfterAPositionHasNoGaps()
    {
        await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "One more" });

        var page = await Log.ListEventsAsync(new ListEventsRequest { AfterPosition = 0, PageSize = 1000 });

        Assert.Equal(Enumerable.Range(1, page.Events.Count).Select(p => (long)p), page.Events.Select(e => e.Position));
    }

    [Fact]
    public async Task APageOfTheLargestEventsFitsGrpcsDefaultMessageLimitAndReadingOnGetsThemAll()
    {
        // The largest events there are: a board's name and description at their length, in
        // three-byte characters, ~6.6 KB each; a thousand would be more than 4 MB, the most a gRPC
        // client takes in one message by default, in every language (this one too).
        const int Updates = 700;
        string Text(int length) => new('漢', length);
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = Text(Crud.Data.Limits.NameLength), Description = Text(Crud.Data.Limits.DescriptionLength) });
        for (var version = 1; version <= Updates; version++)
        {
            await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = Text(Crud.Data.Limits.NameLength), Description = Text(Crud.Data.Limits.DescriptionLength) });
        }

        var events = new List<IntegrationEvent>();
        var pages = 0;
        var request = new ListEventsRequest { BoardId = board.Id, PageSize = 1000 };
        while (true)
        {
            var page = await Log.ListEventsAsync(request);
            pages++;
            events.AddRange(page.Events);
            if (page.Events.Count == 0 || page.Events[^1].Position >= page.HeadPosition)
            {
                break;
            }
            request.AfterPosition = page.Events[^1].Position;
        }

        Assert.True(events.Sum(e => e.CalculateSize()) > 4 << 20);
        Assert.Equal(Updates + 1, events.Count);
        Assert.Equal(events.Select(e => e.Position).Order(), events.Select(e => e.Position));
        Assert.InRange(pages, 2, Updates);
    }

    [Theory]
    [InlineData(-1, "", 0, "after_position")]
    [InlineData(0, "board-1", 0, "board_id")]
    [InlineData(0, "", -5, "page_size")]
    public async Task BadRequestsAreInvalidArgumentOnTheField(long after, string boardId, int pageSize, string field)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Log.ListEventsAsync(new ListEventsRequest { AfterPosition = after, BoardId = boardId, PageSize = pageSize }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}

public sealed class SqliteEventLogTests(SqliteCrudFixture fixture)
    : EventLogTests<SqliteCrudFixture>(fixture), IClassFixture<SqliteCrudFixture>;

public sealed class PostgresEventLogTests(PostgresCrudFixture fixture)
    : EventLogTests<PostgresCrudFixture>(fixture), IClassFixture<PostgresCrudFixture>;
