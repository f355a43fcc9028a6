using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Realtime.V1;
using Polyglot.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The bad-input suite for realtime: broken and hostile requests on every transport get a
/// precise refusal, leak no exception text, and leave the service healthy and serving. Each
/// case is one theory row, so the run counts them.
/// </summary>
public abstract class BadInputTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    private const string Subscribe = "/polyglot.realtime.v1.Realtime/Subscribe";

    public static TheoryData<string, byte[], StatusCode> MalformedGrpc() => new()
    {
        { "random bytes as protobuf", RawGrpc.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]), StatusCode.InvalidArgument },
        { "invalid UTF-8 in the channel", RawGrpc.Frame([0x0A, 0x02, 0xC3, 0x28]), StatusCode.InvalidArgument },
        { "request over the 4 KB limit", RawGrpc.Frame(new SubscribeRequest { Channel = new string('c', 5000) }.ToByteArray()), StatusCode.ResourceExhausted },
        { "frame header claiming 2 GB", RawGrpc.Frame([], claimedLength: int.MaxValue), StatusCode.ResourceExhausted },
        { "empty channel", RawGrpc.Frame(new SubscribeRequest().ToByteArray()), StatusCode.InvalidArgument },
        { "channel with a path in it", RawGrpc.Frame(new SubscribeRequest { Channel = $"board:{Guid.NewGuid()}/../all" }.ToByteArray()), StatusCode.InvalidArgument },
        { "channel in capitals", RawGrpc.Frame(new SubscribeRequest { Channel = "ALL" }.ToByteArray()), StatusCode.InvalidArgument },
        { "channel with a trailing space", RawGrpc.Frame(new SubscribeRequest { Channel = "all " }.ToByteArray()), StatusCode.InvalidArgument },
        { "negative position", RawGrpc.Frame(new SubscribeRequest { Channel = "all", AfterPosition = -5 }.ToByteArray()), StatusCode.InvalidArgument },
        { "subscriber id of 129 characters", RawGrpc.Frame(new SubscribeRequest { Channel = "all", SubscriberId = new string('s', 129) }.ToByteArray()), StatusCode.InvalidArgument },
        { "subscriber id with an escape sequence", RawGrpc.Frame(new SubscribeRequest { Channel = "all", SubscriberId = "\u001b[2J" }.ToByteArray()), StatusCode.InvalidArgument },
    };

    [Theory]
    [MemberData(nameof(MalformedGrpc))]
    public async Task ABadGrpcSubscriptionIsRefusedPrecisely(string @case, byte[] body, StatusCode expected)
    {
        var reply = await RawGrpc.CallAsync(fixture.StreamingGrpcAddress, Subscribe, body);

        Assert.True(reply.GrpcStatus == (int)expected, $"{@case}: grpc-status {reply.GrpcStatus} '{reply.GrpcMessage}'");
        Assert.DoesNotContain("Exception", reply.GrpcMessage);
        await AssertHealthyAsync();
    }

    [Theory]
    [InlineData("GET", "/sse?channel=all", "Last-Event-ID", "abc", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/sse?channel=all", "Last-Event-ID", "-1", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/sse?channel=all", "Last-Event-ID", "99999999999999999999999", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/sse?channel=all", "Last-Event-ID", "1.5", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/sse?channel=all&presence=maybe", null, null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/sse?channel=all&subscriber=%1B%5B2J", null, null, HttpStatusCode.BadRequest)]
    [InlineData("GET", "/sse?channel=board:%00", null, null, HttpStatusCode.BadRequest)]
    [InlineData("POST", "/sse?channel=all", null, null, HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "/stats", null, null, HttpStatusCode.MethodNotAllowed)]
    public async Task ABadHttpRequestGetsAPreciseStatus(string method, string path, string? header, string? value, HttpStatusCode expected)
    {
        using var http = new HttpClient { BaseAddress = fixture.StreamingHttpAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("Exception", await response.Content.ReadAsStringAsync());
        await AssertHealthyAsync();
    }

    [Theory]
    [InlineData("after=abc", "after")]
    [InlineData("after=-1", "after")]
    [InlineData("channel=board:1", "channel")]
    [InlineData("presence=perhaps", "presence")]
    public async Task AWebSocketUpgradeWithABadParameterIsRefusedBeforeTheUpgrade(string query, string field)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        var full = query.StartsWith("channel=", StringComparison.Ordinal) ? query : $"channel=all&{query}";
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(TextStreams.WebSocketUri(fixture.StreamingHttpAddress, full), timeout.Token));

        // A real upgrade request, refused with 400; the same query over plain HTTP names the field.
        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
        using var http = new HttpClient { BaseAddress = fixture.StreamingHttpAddress };
        using var refused = await http.GetAsync($"/sse?{full}", timeout.Token);
        var problem = await refused.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ValidationProblemDetails>(timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(field, problem!.Errors.Keys);
        await AssertHealthyAsync();
    }

    public static TheoryData<string, WebSocketMessageType, byte[]> GarbageFrames() => new()
    {
        { "text that is not JSON", WebSocketMessageType.Text, "hello?"u8.ToArray() },
        { "binary junk", WebSocketMessageType.Binary, [0x00, 0xFF, 0x13, 0x37] },
        { "a 100 KB frame", WebSocketMessageType.Binary, new byte[100_000] },
    };

    [Theory]
    [MemberData(nameof(GarbageFrames))]
    public async Task GarbageFromAWebSocketClientIsIgnoredAndItsStreamGoesOn(string @case, WebSocketMessageType type, byte[] frame)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = @case }, cancellationToken: timeout.Token);
        using var socket = await TextStreams.ConnectWebSocketAsync(fixture.StreamingHttpAddress, $"channel=board:{board.Id}", timeout.Token);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());

        await socket.SendAsync(frame, type, endOfMessage: true, timeout.Token);
        await fixture.RenameAsync(board, "Still streaming", 1);

        // The board's own creation may still be on its way and arrive first.
        JsonElement message;
        do
        {
            message = await socket.ReceiveJsonAsync(timeout.Token);
        }
        while (!message.GetProperty("event").TryGetProperty("boardUpdated", out _));
        Assert.Equal("Still streaming", message.GetProperty("event").GetProperty("boardUpdated").GetProperty("board").GetProperty("name").GetString());
    }

    [Fact]
    public async Task ATextFrameThatIsNotUtf8EndsTheSocketAndTheServerGoesOn()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var socket = await TextStreams.ConnectWebSocketAsync(fixture.StreamingHttpAddress, "channel=all", timeout.Token);
        await socket.ReceiveJsonAsync(timeout.Token); // subscribed

        await socket.SendAsync(new byte[] { 0xC3, 0x28 }, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);

        // ASP.NET Core answers with a 1007 close frame and then drops the connection at once: the
        // reset can overtake the frame, so either ending counts — but the socket must end.
        try
        {
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await socket.ReadUntilCloseAsync(timeout.Token));
        }
        catch (WebSocketException)
        {
            Assert.Equal(WebSocketState.Aborted, socket.State);
        }
        await AssertHealthyAsync();
    }

    private async Task AssertHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = fixture.StreamingHttpAddress };
        Assert.Equal("Healthy", await http.GetStringAsync("/health"));
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitBadInputTests(SplitFixture fixture) : BadInputTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithBadInputTests(MonolithFixture fixture) : BadInputTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
