using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Testing;

namespace Polyglot.Crud.Tests;

/// <summary>
/// The bad-input suite for crud: broken and hostile requests each get a precise status, leave
/// no row behind, leak no exception text, and the service stays healthy. Each case is one row
/// of a theory, so the run counts them.
/// </summary>
public sealed class BadInputTests(SqliteCrudFixture fixture) : IClassFixture<SqliteCrudFixture>
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
        var before = await RowsAsync();

        var reply = await RawGrpc.CallAsync(fixture.Host.GrpcAddress, path, body, contentType);

        Assert.True(expected >= 100 ? (int)reply.HttpStatus == expected : reply.GrpcStatus == expected,
            $"{@case}: HTTP {(int)reply.HttpStatus}, grpc-status {reply.GrpcStatus} '{reply.GrpcMessage}'");
        Assert.DoesNotContain("Exception", reply.GrpcMessage + reply.Body);
        Assert.DoesNotContain("   at ", reply.GrpcMessage + reply.Body);
        Assert.Equal(before, await RowsAsync());
        await AssertHealthyAsync();
    }

    /// <summary>Well-formed requests with bad or hostile values: (case, call, expected status).</summary>
    public static TheoryData<string, Func<Boards.BoardsClient, Task>, StatusCode> Hostile() => new()
    {
        { "empty name", b => b.CreateBoardAsync(new() { Name = "" }).ResponseAsync, StatusCode.InvalidArgument },
        { "whitespace name", b => b.CreateBoardAsync(new() { Name = " \t " }).ResponseAsync, StatusCode.InvalidArgument },
        { "name of 201 characters", b => b.CreateBoardAsync(new() { Name = new string('n', 201) }).ResponseAsync, StatusCode.InvalidArgument },
        { "NUL in the name", b => b.CreateBoardAsync(new() { Name = "a\0b" }).ResponseAsync, StatusCode.InvalidArgument },
        { "bell and escape in the description", b => b.CreateBoardAsync(new() { Name = "ok", Description = "\a\u001b[31m" }).ResponseAsync, StatusCode.InvalidArgument },
        { "description of 2001 characters", b => b.CreateBoardAsync(new() { Name = "ok", Description = new string('d', 2001) }).ResponseAsync, StatusCode.InvalidArgument },
        { "id that is not a UUID", b => b.GetBoardAsync(new() { Id = "1 OR 1=1" }).ResponseAsync, StatusCode.InvalidArgument },
        { "id with braces", b => b.GetBoardAsync(new() { Id = $"{{{Guid.NewGuid()}}}" }).ResponseAsync, StatusCode.InvalidArgument },
        { "version 0", b => b.UpdateBoardAsync(new() { Id = Guid.NewGuid().ToString(), Version = 0, Name = "x" }).ResponseAsync, StatusCode.InvalidArgument },
        { "negative version", b => b.UpdateBoardAsync(new() { Id = Guid.NewGuid().ToString(), Version = -1, Name = "x" }).ResponseAsync, StatusCode.InvalidArgument },
        { "update of a board that does not exist", b => b.UpdateBoardAsync(new() { Id = Guid.NewGuid().ToString(), Version = 1, Name = "x" }).ResponseAsync, StatusCode.NotFound },
        { "negative page size", b => b.ListBoardsAsync(new() { PageSize = -1 }).ResponseAsync, StatusCode.InvalidArgument },
        { "forged page token", b => b.ListBoardsAsync(new() { PageToken = "Jzsgc2VsZWN0ICogZnJvbSB1c2Vycw" }).ResponseAsync, StatusCode.InvalidArgument },
        { "page token that is not base64", b => b.ListBoardsAsync(new() { PageToken = "%%%" }).ResponseAsync, StatusCode.InvalidArgument },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task AHostileValueGetsAPreciseStatusAndWritesNothing(string @case, Func<Boards.BoardsClient, Task> call, StatusCode expected)
    {
        var before = await RowsAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call(fixture.Boards));

        Assert.True(expected == error.StatusCode, $"{@case}: {error.StatusCode} '{error.Status.Detail}'");
        Assert.DoesNotContain("Exception", error.Status.Detail);
        Assert.Equal(before, await RowsAsync());
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

        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = name, Description = name });
        var read = await fixture.Boards.GetBoardAsync(new GetBoardRequest { Id = board.Id });

        Assert.Equal((name, name), (read.Name, read.Description));
        Assert.True(await fixture.QueryAsync(db => db.Boards.AnyAsync()));
    }

    [Fact]
    public async Task AnUnknownFieldIsIgnoredAsProto3Says()
    {
        var message = new CreateBoardRequest { Name = "with an extra field" }.ToByteArray().Concat(new byte[] { 0xF8, 0x06, 0x01 }).ToArray(); // field 111, varint 1

        var reply = await RawGrpc.CallAsync(fixture.Host.GrpcAddress, CreateBoard, RawGrpc.Frame(message));

        Assert.Equal((int)StatusCode.OK, reply.GrpcStatus);
    }

    [Fact]
    public async Task HugePageSizesAreCappedNotRefused()
    {
        var boards = await fixture.Boards.ListBoardsAsync(new ListBoardsRequest { PageSize = int.MaxValue });
        var events = await new EventLog.EventLogClient(fixture.Host.CreateGrpcChannel()).ListEventsAsync(new ListEventsRequest { PageSize = int.MaxValue });

        Assert.True(boards.Boards.Count <= 100);
        Assert.True(events.Events.Count <= 1000);
    }

    private static byte[] Valid() => new CreateBoardRequest { Name = "valid" }.ToByteArray();

    private Task<(int Boards, int Events)> RowsAsync() =>
        fixture.QueryAsync(async db => (await db.Boards.CountAsync(), await db.Outbox.CountAsync()));

    private async Task AssertHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.HttpAddress };
        Assert.Equal("Healthy", await http.GetStringAsync("/health"));
    }
}
