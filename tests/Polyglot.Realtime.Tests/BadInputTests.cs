using Google.Rpc;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The bad-input suite for the streaming side, asked of it running as its own process (realtime
/// in the split, crud in the monolith): every wrong value of every subscription parameter on every
/// transport is refused with the precise status naming exactly that parameter, broken and hostile
/// requests get a precise status, no answer leaks exception text, and the process stays up and
/// healthy. Each case is one theory row, so the run counts them.
/// </summary>
public abstract class BadInputTests<TFixture>(TFixture fixture) where TFixture : StreamingProcessesFixture
{
    private const string Subscribe = "/polyglot.realtime.v1.Realtime/Subscribe";

    /// <summary>Where a case's bad value goes: the transports, named for the test list.</summary>
    private static class Transport
    {
        public const string GrpcSubscribe = "gRPC Subscribe", GrpcPresence = "gRPC GetPresence", Sse = "SSE query",
            SseLastEventId = "SSE Last-Event-ID header", WebSocket = "WebSocket upgrade";
    }

    private static readonly string[] BadChannels =
    [
        "", "ALL", "all ", " all", "al", "*", "board", "board:", "board:1", "board:not-a-guid",
        $"board:{Guid.Empty:B}", $"board:{Guid.Empty:N}", $"board: {Guid.Empty}", $"board:{Guid.Empty} ", $"board:{Guid.Empty}/../all",
        $"all,board:{Guid.Empty}", "board:\0", "Board:" + Guid.Empty, new string('c', 300),
    ];

    private static readonly string[] BadPositionsAsText = ["abc", "-1", "1.5", "+1", " 1", "0x10", "1e3", "99999999999999999999999"];

    private static readonly string[] BadSubscriberIds = [new string('s', 129), "\u001b[2J", "a\nb", "nul\0", "tab\t", "\u0085"];

    private static readonly string[] BadPresence = ["maybe", "1", "yes", "on"];

    /// <summary>(transport, the parameter as that transport names it, its bad value).</summary>
    public static TheoryData<string, string, string> BadValues()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var channel in BadChannels)
        {
            data.Add(Transport.GrpcSubscribe, "channel", channel);
            data.Add(Transport.GrpcPresence, "channel", channel);
            data.Add(Transport.Sse, "channel", channel);
            data.Add(Transport.WebSocket, "channel", channel);
        }
        foreach (var position in BadPositionsAsText)
        {
            data.Add(Transport.Sse, "after", position);
            if (position.Trim() == position) // a header's value loses its surrounding white space on the way
            {
                data.Add(Transport.SseLastEventId, "Last-Event-ID", position);
            }
            data.Add(Transport.WebSocket, "after", position);
        }
        foreach (var position in new[] { -1L, -5L, long.MinValue })
        {
            data.Add(Transport.GrpcSubscribe, "after_position", position.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (var subscriber in BadSubscriberIds)
        {
            data.Add(Transport.GrpcSubscribe, "subscriber_id", subscriber);
            data.Add(Transport.Sse, "subscriber", subscriber);
            data.Add(Transport.WebSocket, "subscriber", subscriber);
        }
        foreach (var presence in BadPresence)
        {
            data.Add(Transport.Sse, "presence", presence);
            data.Add(Transport.WebSocket, "presence", presence);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task ABadParameterIsRefusedNamingExactlyIt(string transport, string parameter, string value)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        if (transport is Transport.GrpcSubscribe or Transport.GrpcPresence)
        {
            var request = new SubscribeRequest { Channel = "all" };
            switch (parameter)
            {
                case "channel": request.Channel = value; break;
                case "after_position": request.AfterPosition = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                default: request.SubscriberId = value; break;
            }
            await AssertInvalidArgumentAsync([parameter], () => transport == Transport.GrpcPresence
                ? fixture.Realtime.GetPresenceAsync(new GetPresenceRequest { Channel = request.Channel }, cancellationToken: timeout.Token).ResponseAsync
                : SubscribeAsync(request, timeout.Token));
        }
        else
        {
            var query = new Dictionary<string, string> { ["channel"] = "all" };
            string? lastEventId = null;
            if (transport == Transport.SseLastEventId)
            {
                lastEventId = value;
            }
            else
            {
                query[parameter] = value;
            }
            await AssertBadRequestAsync([parameter], transport, Query(query), lastEventId, timeout.Token);
        }
        await fixture.AssertHealthyAsync();
    }

    [Theory]
    [InlineData(Transport.Sse, "channel=all&channel=all", "channel")]
    [InlineData(Transport.Sse, "channel=all&after=1&after=2", "after")]
    [InlineData(Transport.Sse, "channel=all&subscriber=a&subscriber=b", "subscriber")]
    [InlineData(Transport.Sse, "channel=all&presence=true&presence=false", "presence")]
    [InlineData(Transport.WebSocket, "channel=all&channel=all", "channel")]
    [InlineData(Transport.WebSocket, "channel=all&after=1&after=2", "after")]
    [InlineData(Transport.WebSocket, "channel=all&subscriber=a&subscriber=b", "subscriber")]
    [InlineData(Transport.WebSocket, "channel=all&presence=true&presence=false", "presence")]
    public async Task AParameterGivenTwiceIsRefusedNamingIt(string transport, string query, string parameter)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        await AssertBadRequestAsync([parameter], transport, query, null, timeout.Token);
        await fixture.AssertHealthyAsync();
    }

    [Fact]
    public async Task EveryBadParameterOfOneRequestIsNamedTogether()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        await AssertInvalidArgumentAsync(["channel", "after_position", "subscriber_id"],
            () => SubscribeAsync(new SubscribeRequest { Channel = "none", AfterPosition = -1, SubscriberId = "\u0007" }, timeout.Token));
        var query = Query(new() { ["channel"] = "none", ["after"] = "x", ["subscriber"] = "\u0007", ["presence"] = "perhaps" });
        await AssertBadRequestAsync(["channel", "after", "subscriber", "presence"], Transport.Sse, query, null, timeout.Token);
        await AssertBadRequestAsync(["channel", "after", "subscriber", "presence"], Transport.WebSocket, query, null, timeout.Token);
        await fixture.AssertHealthyAsync();
    }

    [Fact]
    public async Task TheSuitesHandWrittenUpgradeIsARealWebSocketUpgrade()
    {
        // The control for the WebSocket cases above: the same request, with good parameters, is switched to WebSocket.
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var http = fixture.StreamingHttp();
        using var response = await http.SendAsync(UpgradeRequest("channel=all"), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, response.StatusCode);
    }

    [Fact]
    public async Task AWebSocketEndpointAskedWithoutAnUpgradeSaysSo()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var http = fixture.StreamingHttp();
        using var response = await http.GetAsync("/ws?channel=all", timeout.Token);
        await AssertProblemAsync(response, ["upgrade"], timeout.Token);
    }

    /// <summary>Requests on the wire that are not what they claim: (case, body, content type, expected gRPC status or HTTP status).</summary>
    public static TheoryData<string, string, byte[], string, int> MalformedGrpc() => new()
    {
        { "random bytes as protobuf", Subscribe, RawGrpc.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]), "application/grpc", (int)StatusCode.InvalidArgument },
        { "truncated length-delimited field", Subscribe, RawGrpc.Frame([0x0A, 0x10, 0x61]), "application/grpc", (int)StatusCode.InvalidArgument },
        { "invalid UTF-8 in the channel", Subscribe, RawGrpc.Frame([0x0A, 0x02, 0xC3, 0x28]), "application/grpc", (int)StatusCode.InvalidArgument },
        { "request over the 4 KB limit", Subscribe, RawGrpc.Frame(new SubscribeRequest { Channel = new string('c', 5000) }.ToByteArray()), "application/grpc", (int)StatusCode.ResourceExhausted },
        { "frame header claiming 2 GB", Subscribe, RawGrpc.Frame([], claimedLength: int.MaxValue), "application/grpc", (int)StatusCode.ResourceExhausted },
        { "frame claims more bytes than sent", Subscribe, RawGrpc.Frame(new SubscribeRequest { Channel = "all" }.ToByteArray(), claimedLength: 1000), "application/grpc", (int)StatusCode.Internal },
        { "unknown method", "/polyglot.realtime.v1.Realtime/Publish", RawGrpc.Frame([]), "application/grpc", (int)StatusCode.Unimplemented },
        { "JSON instead of protobuf", Subscribe, """{"channel":"all"}"""u8.ToArray(), "application/json", 415 },
    };

    [Theory]
    [MemberData(nameof(MalformedGrpc))]
    public async Task AMalformedGrpcRequestGetsAPreciseStatus(string @case, string path, byte[] body, string contentType, int expected)
    {
        var reply = await RawGrpc.CallAsync(fixture.Streaming.GrpcAddress, path, body, contentType);

        Assert.True(expected >= 100 ? (int)reply.HttpStatus == expected : reply.GrpcStatus == expected,
            $"{@case}: HTTP {(int)reply.HttpStatus}, grpc-status {reply.GrpcStatus} '{reply.GrpcMessage}'");
        AssertNoInternals(reply.GrpcMessage + reply.Body);
        await fixture.AssertHealthyAsync();
    }

    [Theory]
    [InlineData("POST", "/sse?channel=all", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "/stats", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "/sse/../../etc/passwd", HttpStatusCode.NotFound)]
    public async Task AWrongMethodOrPathGetsAPreciseStatus(string method, string path, HttpStatusCode expected)
    {
        using var http = fixture.StreamingHttp();
        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(expected, response.StatusCode);
        AssertNoInternals(await response.Content.ReadAsStringAsync());
        await fixture.AssertHealthyAsync();
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
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = @case }, cancellationToken: timeout.Token);
        using var socket = await fixture.ConnectWebSocketAsync($"channel=board:{board.Id}", timeout.Token);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());

        await socket.SendAsync(frame, type, endOfMessage: true, timeout.Token);
        await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = 1, Name = "Still streaming" }, cancellationToken: timeout.Token);

        // The board's own creation may still be on its way and arrive first.
        JsonElement message;
        do
        {
            message = await socket.ReceiveJsonAsync(timeout.Token);
        }
        while (!message.GetProperty("event").TryGetProperty("boardUpdated", out _));
        Assert.Equal("Still streaming", message.GetProperty("event").GetProperty("boardUpdated").GetProperty("board").GetProperty("name").GetString());
        await fixture.AssertHealthyAsync();
    }

    [Fact]
    public async Task ATextFrameThatIsNotUtf8EndsTheSocketAndTheServerGoesOn()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var socket = await fixture.ConnectWebSocketAsync("channel=all", timeout.Token);
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
        await fixture.AssertHealthyAsync();
    }

    private async Task<SubscribeResponse> SubscribeAsync(SubscribeRequest request, CancellationToken ct)
    {
        using var call = fixture.Realtime.Subscribe(request, cancellationToken: ct);
        await call.ResponseStream.MoveNext(ct);
        return call.ResponseStream.Current;
    }

    private static async Task AssertInvalidArgumentAsync(string[] fields, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{error.StatusCode} '{error.Status.Detail}'");
        Assert.Equal(fields, error.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Select(v => v.Field) ?? []);
        Assert.All(fields, field => Assert.Contains(field, error.Status.Detail));
        AssertNoInternals(error.Status.Detail);
    }

    private async Task AssertBadRequestAsync(string[] fields, string transport, string query, string? lastEventId, CancellationToken ct)
    {
        using var http = fixture.StreamingHttp();
        using var request = transport == Transport.WebSocket ? UpgradeRequest(query) : new HttpRequestMessage(HttpMethod.Get, $"/sse?{query}");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }
        using var response = await http.SendAsync(request, ct);
        await AssertProblemAsync(response, fields, ct);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string[] fields, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"HTTP {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(ct);
        Assert.Equal("bad_request", problem!.Title);
        Assert.Equal(fields.Order(), problem.Errors.Keys.Order());
        AssertNoInternals(body);
    }

    /// <summary>A WebSocket opening handshake (RFC 6455 §4.1) on plain HTTP/1.1, so a refusal's body can be read.</summary>
    private static HttpRequestMessage UpgradeRequest(string query)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/ws?{query}");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        return request;
    }

    private static string Query(Dictionary<string, string> parameters) =>
        string.Join('&', parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));

    private static void AssertNoInternals(string text)
    {
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("   at ", text);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitBadInputTests(SplitProcessesFixture fixture) : BadInputTests<SplitProcessesFixture>(fixture), IClassFixture<SplitProcessesFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithBadInputTests(MonolithProcessesFixture fixture) : BadInputTests<MonolithProcessesFixture>(fixture), IClassFixture<MonolithProcessesFixture>;
