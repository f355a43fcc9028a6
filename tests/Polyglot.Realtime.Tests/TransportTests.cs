using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Mvc;
using Polyglot.Contracts.Boards.V1;

namespace Polyglot.Realtime.Tests;

/// <summary>WebSocket and SSE over real sockets: the same events as gRPC, the same resume, clear refusals.</summary>
[Collection(SplitCollection.Name)]
public sealed class TransportTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Realtime.HttpAddress };

    [Fact]
    public async Task WebSocketAndSseCarryTheSameEventsAsGrpcInTheSameOrder()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Parity" });
        var channel = $"board:{board.Id}";
        using var grpc = await fixture.RealtimeClient.SubscribeAsync(channel, 0, timeout.Token);
        using var socket = await ConnectWebSocketAsync($"channel={channel}&after=0", timeout.Token);
        await using var sse = await OpenSseAsync($"channel={channel}&after=0", lastEventId: null, timeout.Token);
        Assert.Equal("subscribed", (await ReceiveAsync(socket, timeout.Token)).GetProperty("type").GetString());
        Assert.Equal("subscribed", (await sse.ReadAsync(timeout.Token)).Data.GetProperty("type").GetString());

        await fixture.RenameAsync(board, "Renamed", 1);
        await fixture.RenameAsync(board, "Renamed again", 2);

        var viaGrpc = (await Streams.ReadEventsAsync(grpc.ResponseStream, 3, timeout.Token)).Select(e => (e.Position, e.EventId)).ToList();
        var viaWebSocket = new List<(long, string)>();
        var viaSse = new List<(long, string)>();
        for (var i = 0; i < 3; i++)
        {
            viaWebSocket.Add(EventOf(await ReceiveAsync(socket, timeout.Token)));
            var item = await sse.ReadAsync(timeout.Token);
            var (position, eventId) = EventOf(item.Data);
            Assert.Equal(position.ToString(), item.Id);
            viaSse.Add((position, eventId));
        }
        Assert.Equal(viaGrpc, viaWebSocket);
        Assert.Equal(viaGrpc, viaSse);
    }

    [Fact]
    public async Task AnSseClientResumesWithLastEventIdAndAWebSocketWithAfter()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Resume over text" });
        var channel = $"board:{board.Id}";
        // A gRPC observer shows when realtime has the events, so the text clients below really
        // resume from history rather than happen to catch the rename live.
        using var observer = await fixture.RealtimeClient.SubscribeAsync(channel, 0, timeout.Token);
        var created = (await Streams.ReadEventsAsync(observer.ResponseStream, 1, timeout.Token))[0].Position;
        await fixture.RenameAsync(board, "Missed", 1);
        await Streams.ReadEventsAsync(observer.ResponseStream, 1, timeout.Token);

        await using var sse = await OpenSseAsync($"channel={channel}", lastEventId: created.ToString(), timeout.Token);
        using var socket = await ConnectWebSocketAsync($"channel={channel}&after={created}", timeout.Token);

        await sse.ReadAsync(timeout.Token); // subscribed
        await ReceiveAsync(socket, timeout.Token);
        var viaSse = (await sse.ReadAsync(timeout.Token)).Data;
        var viaWebSocket = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal("Missed", viaSse.GetProperty("event").GetProperty("boardUpdated").GetProperty("board").GetProperty("name").GetString());
        Assert.Equal(EventOf(viaSse), EventOf(viaWebSocket));
    }

    [Theory]
    [InlineData("/sse?channel=board:42", "channel")]
    [InlineData("/sse?channel=all&after=-3", "after")]
    [InlineData("/sse", "channel")]
    [InlineData("/ws?channel=all", "upgrade")]
    public async Task BadRequestsGetProblemDetailsNamingTheField(string path, string field)
    {
        var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>();
        Assert.Contains(field, problem!.Errors.Keys);
    }

    [Fact]
    public async Task AWebSocketUpgradeForAMalformedChannelIsRefusedWith400()
    {
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri("channel=boards"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
    }

    private Uri WebSocketUri(string query) => new UriBuilder(fixture.Realtime.HttpAddress) { Scheme = "ws", Path = "/ws", Query = query }.Uri;

    private async Task<ClientWebSocket> ConnectWebSocketAsync(string query, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri(query), ct);
        return socket;
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement;
    }

    private static (long Position, string EventId) EventOf(JsonElement message)
    {
        Assert.Equal("event", message.GetProperty("type").GetString());
        var integrationEvent = message.GetProperty("event");
        // proto3 JSON writes int64 as a string.
        Assert.Equal(message.GetProperty("position").GetInt64().ToString(), integrationEvent.GetProperty("position").GetString());
        return (message.GetProperty("position").GetInt64(), integrationEvent.GetProperty("eventId").GetString()!);
    }

    private async Task<SseReader> OpenSseAsync(string query, string? lastEventId, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/sse?{query}");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseReader(response, await response.Content.ReadAsStreamAsync(ct));
    }

    /// <summary>Reads Server-Sent Events with the BCL's own parser.</summary>
    private sealed class SseReader(HttpResponseMessage response, Stream body) : IAsyncDisposable
    {
        private readonly IAsyncEnumerator<System.Net.ServerSentEvents.SseItem<string>> _items =
            System.Net.ServerSentEvents.SseParser.Create(body).EnumerateAsync().GetAsyncEnumerator();

        public async Task<(string? Id, JsonElement Data)> ReadAsync(CancellationToken ct)
        {
            Assert.True(await _items.MoveNextAsync().AsTask().WaitAsync(ct), "The SSE stream ended.");
            return (_items.Current.EventId, JsonDocument.Parse(_items.Current.Data).RootElement);
        }

        public async ValueTask DisposeAsync()
        {
            response.Dispose();
            await body.DisposeAsync();
        }
    }
}
