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

    /// <param name="token">The access token, sent as <c>authorization: Bearer</c>; null to send none.</param>
    /// <param name="invoker">Carries a custom handler (small socket buffers, say); null for the default one.</param>
    public static async Task<ClientWebSocket> ConnectWebSocketAsync(Uri httpAddress, string query, string? token, CancellationToken ct, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }
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
