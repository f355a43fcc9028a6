using Google.Protobuf;
using Google.Rpc;

namespace Polyglot.Crud.Tests;

/// <summary>
/// The bad-input suite for crud, asked of crud running as its own process: broken and hostile
/// requests each get a precise status naming the field, leave no row behind, leak no exception
/// text, and the process stays up and healthy. Each case is one row of a theory, so the run
/// counts them.
/// </summary>
public sealed class BadInputTests(CrudProcessFixture fixture) : IClassFixture<CrudProcessFixture>
{
    private const string CreateBoard = "/polyglot.boards.v1.Boards/CreateBoard";

    /// <summary>Requests on the wire that are not what they claim: (case, path, body, content type, expected gRPC status or HTTP status).</summary>
    public static TheoryData<string, string, byte[], string, int> Malformed() => new()
    {
        { "random bytes as protobuf", CreateBoard, RawGrpc.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]), "application/grpc", (int)StatusCode.InvalidArgument },
        { "truncated length-delimited field", CreateBoard, RawGrpc.Frame([0x0A, 0x10, 0x41]), "application/grpc", (int)StatusCode.InvalidArgument },
        { "invalid UTF-8 in a string field", CreateBoard, RawGrpc.Frame([0x0A, 0x02, 0xC3, 0x28]), "application/grpc", (int)StatusCode.InvalidArgument },
        { "frame claims more bytes than sent", CreateBoard, RawGrpc.Frame(Valid(), claimedLength: 1000), "application/grpc", (int)StatusCode.Internal },
        { "frame header cut short", CreateBoard, [0x00, 0x00, 0x00], "application/grpc", (int)StatusCode.Internal },
        { "message over the 64 KB limit", CreateBoard, RawGrpc.Frame(new CreateBoardRequest { Name = "x", Description = new string('d', 70_000) }.ToByteArray()), "application/grpc", (int)StatusCode.ResourceExhausted },
        { "frame header claiming 2 GB", CreateBoard, RawGrpc.Frame([], claimedLength: int.MaxValue), "application/grpc", (int)StatusCode.ResourceExhausted },
        { "unknown method", "/polyglot.boards.v1.Boards/DropAllBoards", RawGrpc.Frame(Valid()), "application/grpc", (int)StatusCode.Unimplemented },
        { "unknown service", "/polyglot.boards.v9.Boards/CreateBoard", RawGrpc.Frame(Valid()), "application/grpc", (int)StatusCode.Unimplemented },
        { "JSON instead of protobuf", CreateBoard, """{"name":"x"}"""u8.ToArray(), "application/json", 415 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task AMalformedRequestGetsAPreciseStatusAndWritesNothing(string @case, string path, byte[] body, string contentType, int expected)
    {
        var before = await fixture.RowsAsync();

        var reply = await SignedInCallAsync(path, body, contentType);

        Assert.True(expected >= 100 ? (int)reply.HttpStatus == expected : reply.GrpcStatus == expected,
            $"{@case}: HTTP {(int)reply.HttpStatus}, grpc-status {reply.GrpcStatus} '{reply.GrpcMessage}'");
        Assert.DoesNotContain("Exception", reply.GrpcMessage + reply.Body);
        Assert.DoesNotContain("   at ", reply.GrpcMessage + reply.Body);
        Assert.Equal(before, await fixture.RowsAsync());
        await fixture.AssertHealthyAsync();
    }

    [Theory]
    [MemberData(nameof(InvalidFieldCases.Names), MemberType = typeof(InvalidFieldCases))]
    public async Task AnInvalidFieldIsNamedInInvalidArgumentAndNothingIsWritten(string @case)
    {
        var (field, call, value) = InvalidFieldCases.Get(@case);
        var before = await fixture.RowsAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call(fixture.Channel, fixture, value));

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{@case}: {error.StatusCode} '{error.Status.Detail}'");
        var violations = error.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations ?? [];
        Assert.Equal([field], violations.Select(v => v.Field));
        Assert.Contains(field, error.Status.Detail);
        Assert.DoesNotContain("Exception", error.Status.Detail);
        Assert.Equal(before, await fixture.RowsAsync());
        await fixture.AssertHealthyAsync();
    }

    [Fact]
    public Task AnUpdateOfABoardThatDoesNotExistIsNotFound() =>
        AssertRefusedAsync(StatusCode.NotFound, () => new Boards.BoardsClient(fixture.Channel).UpdateBoardAsync(new() { Id = Guid.NewGuid().ToString(), Version = 1, Name = "x" }).ResponseAsync);

    [Fact]
    public Task AStaleVersionIsAborted() =>
        AssertRefusedAsync(StatusCode.Aborted, () => new Cards.CardsClient(fixture.Channel).UpdateCardAsync(new() { Id = fixture.Card.Id, Version = 99, Title = "x" }).ResponseAsync);

    [Fact]
    public async Task ACardMovedToAnotherBoardsColumnIsAFailedPrecondition()
    {
        var other = await new Boards.BoardsClient(fixture.Channel).CreateBoardAsync(new() { Name = "Other" });
        var column = await new Columns.ColumnsClient(fixture.Channel).CreateColumnAsync(new() { BoardId = other.Id, Name = "Elsewhere" });

        await AssertRefusedAsync(StatusCode.FailedPrecondition,
            () => new Cards.CardsClient(fixture.Channel).MoveCardAsync(new() { Id = fixture.Card.Id, Version = 1, ColumnId = column.Id }).ResponseAsync);
    }

    /// <summary>A valid request refused for what it asks: its status, no exception text, nothing written, the process healthy.</summary>
    private async Task AssertRefusedAsync(StatusCode expected, Func<Task> call)
    {
        var before = await fixture.RowsAsync();

        var error = await Assert.ThrowsAsync<RpcException>(call);

        Assert.True(expected == error.StatusCode, $"{error.StatusCode} '{error.Status.Detail}'");
        Assert.DoesNotContain("Exception", error.Status.Detail);
        Assert.Equal(before, await fixture.RowsAsync());
        await fixture.AssertHealthyAsync();
    }

    [Theory]
    [InlineData("SQL", "'; DROP TABLE \"Boards\"; --")]
    [InlineData("markup", "<script>alert(1)</script>")]
    [InlineData("emoji and CJK", "看板 🚀 ✅")]
    [InlineData("right-to-left override and zero-width space", "abc\u202Edef\u200Bghi")]
    [InlineData("exactly 200 characters", "n")]
    public async Task HostileButValidTextIsStoredAndReadBackVerbatim(string @case, string name)
    {
        if (@case == "exactly 200 characters")
        {
            name = new string('n', 200);
        }

        var boards = new Boards.BoardsClient(fixture.Channel);
        var board = await boards.CreateBoardAsync(new CreateBoardRequest { Name = name, Description = name });
        var read = await boards.GetBoardAsync(new GetBoardRequest { Id = board.Id });

        Assert.Equal((name, name), (read.Name, read.Description));
    }

    [Fact]
    public async Task ANameIsTrimmedBeforeItsLengthIsCheckedAndADescriptionIsKeptAsSent()
    {
        var name = new string('n', 200);
        const string description = "    indented code\n";

        var boards = new Boards.BoardsClient(fixture.Channel);
        var board = await boards.CreateBoardAsync(new CreateBoardRequest { Name = $" {name}\n", Description = description });
        var read = await boards.GetBoardAsync(new GetBoardRequest { Id = board.Id });

        Assert.Equal((name, description), (read.Name, read.Description));
    }

    [Fact]
    public async Task AnUnknownFieldIsIgnoredAsProto3Says()
    {
        var message = new CreateBoardRequest { Name = "with an extra field" }.ToByteArray().Concat(new byte[] { 0xF8, 0x06, 0x01 }).ToArray(); // field 111, varint 1

        var reply = await SignedInCallAsync(CreateBoard, RawGrpc.Frame(message));

        Assert.Equal((int)StatusCode.OK, reply.GrpcStatus);
    }

    [Fact]
    public async Task HugePageSizesAreCappedNotRefused()
    {
        var boards = new Boards.BoardsClient(fixture.Channel);
        while ((await fixture.RowsAsync()).Boards <= 100)
        {
            await boards.CreateBoardAsync(new CreateBoardRequest { Name = "one more" });
        }

        var page = await boards.ListBoardsAsync(new ListBoardsRequest { PageSize = int.MaxValue });
        var events = await new EventLog.EventLogClient(fixture.Channel).ListEventsAsync(new ListEventsRequest { PageSize = int.MaxValue });

        // More than a page of each exists: what comes back is the cap, not everything.
        Assert.Equal(100, page.Boards.Count);
        Assert.NotEqual("", page.NextPageToken);
        Assert.Equal(CrudProcessFixture.EventLogPageCap, events.Events.Count);
    }

    private static byte[] Valid() => new CreateBoardRequest { Name = "valid" }.ToByteArray();

    /// <summary>A hand-written call as the local service client: what is refused is the request, not the caller.</summary>
    private async Task<RawGrpc.Reply> SignedInCallAsync(string path, byte[] body, string contentType = "application/grpc") =>
        await RawGrpc.CallAsync(fixture.Crud.GrpcAddress, path, body, contentType, await LocalAuth.Shared.AccessTokenAsync(fixture.Crud.HttpAddress));
}
