using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using System.Text.Json;

namespace Polyglot.Testing;

/// <summary>
/// The one way the tests read the text transports: a WebSocket's JSON messages up to its close
/// frame, and an SSE stream parsed by the BCL's own parser. Each message is the JSON object of
/// the streaming library's JsonMessages.
/// </summary>
public static class TextStreams
{
    public static Uri WebSocketUri(Uri httpAddress, string query) =>
        new UriBuilder(httpAddress) { Scheme = "ws", Path = "/ws", Query = query }.Uri;

    /// <param name="invoker">Carries a custom handler (small socket buffers, say); null for the default one.</param>
    public static async Task<ClientWebSocket> ConnectWebSocketAsync(Uri httpAddress, string query, CancellationToken ct, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri(httpAddress, query), invoker, ct);
        return socket;
    }

    /// <summary>The next whole message; fails if the server closed instead.</summary>
    public static async Task<JsonElement> ReceiveJsonAsync(this WebSocket socket, CancellationToken ct) =>
        await socket.ReceiveJsonOrCloseAsync(ct) ?? throw new InvalidOperationException(
            $"The WebSocket closed ({socket.CloseStatus} {socket.CloseStatusDescription}) where a message was expected.");

    /// <summary>Reads past any messages to the server's close frame, answers it, and returns its status.</summary>
    public static async Task<WebSocketCloseStatus?> ReadUntilCloseAsync(this WebSocket socket, CancellationToken ct)
    {
        while (await socket.ReceiveJsonOrCloseAsync(ct) is not null)
        {
        }
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        }
        catch (WebSocketException)
        {
            // The server closed the connection right after its close frame (as on a protocol error).
        }
        return socket.CloseStatus;
    }

    private static async Task<JsonElement?> ReceiveJsonOrCloseAsync(this WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        if (result.MessageType == WebSocketMessageType.Close)
        {
            return null;
        }
        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
    }
}

/// <summary>An SSE subscription: its items as (id, JSON message), read with the BCL's SseParser.</summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly IAsyncEnumerator<SseItem<string>> _items;

    private SseStream(HttpResponseMessage response, Stream body)
    {
        (_response, _body) = (response, body);
        _items = SseParser.Create(body).EnumerateAsync().GetAsyncEnumerator();
    }

    /// <summary>Opens <c>/sse?{query}</c>; the response must be a 200 event stream.</summary>
    public static async Task<SseStream> OpenAsync(HttpClient http, string query, CancellationToken ct, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/sse?{query}");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            throw new InvalidOperationException($"Not an event stream: {response.Content.Headers.ContentType}.");
        }
        return new SseStream(response, await response.Content.ReadAsStreamAsync(ct));
    }

    /// <summary>The next item; fails if the stream ended instead.</summary>
    public async Task<(string? Id, JsonElement Data)> ReadAsync(CancellationToken ct) =>
        await ReadOrEndAsync(ct) ?? throw new InvalidOperationException("The SSE stream ended where a message was expected.");

    /// <summary>Every message up to the end of the stream.</summary>
    public async Task<List<JsonElement>> ReadToEndAsync(CancellationToken ct)
    {
        var messages = new List<JsonElement>();
        while (await ReadOrEndAsync(ct) is { } item)
        {
            messages.Add(item.Data);
        }
        return messages;
    }

    private async Task<(string? Id, JsonElement Data)?> ReadOrEndAsync(CancellationToken ct)
    {
        if (!await _items.MoveNextAsync().AsTask().WaitAsync(ct))
        {
            return null;
        }
        return (_items.Current.EventId, JsonDocument.Parse(_items.Current.Data).RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        _response.Dispose();
        await _body.DisposeAsync();
    }
}
