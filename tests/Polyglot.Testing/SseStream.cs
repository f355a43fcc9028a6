using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Polyglot.Testing;

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
