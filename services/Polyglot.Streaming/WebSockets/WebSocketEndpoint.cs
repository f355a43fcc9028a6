using System.Net.WebSockets;
using Polyglot.Streaming.Http;

namespace Polyglot.Streaming.WebSockets;

/// <summary>
/// The WebSocket transport: <c>GET /ws?channel=board:{id}&amp;after={position}</c> (and
/// <c>subscriber</c>, <c>presence</c>), one subscription per socket, JSON text frames
/// (<see cref="JsonMessages"/>). A bad request is
/// refused before the upgrade with 400 and problem details. The server ends a stream with the
/// close code of its reason (<see cref="Endings"/>): 4429 fell too far behind (resume), 4410
/// history lost (re-read the state), 1001 the server is shutting down (reconnect, resume), 1013
/// the event log is unavailable (resume later). While it starts or shuts down, an upgrade gets 503.
/// </summary>
public static class WebSocketEndpoint
{
    public const string Path = "/ws";

    /// <summary>How long the server waits on a client in the close handshake: for it to take a write under way, and to answer our close frame.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

    public static void MapWebSocketTransport(this WebApplication app)
    {
        app.UseWebSockets(); // its keep-alive: AddStreaming
        app.Map(Path, SubscribeAsync);
    }

    private static async Task<IResult> SubscribeAsync(HttpContext context, ChannelHub hub, SubscriberTokens tokens)
    {
        var (subscription, refusal) = await HttpSubscriptions.SubscribeAsync(context, hub, tokens, Transport.WebSocket,
            extraErrors: context.WebSockets.IsWebSocketRequest ? null : new() { ["upgrade"] = ["this endpoint speaks WebSocket only: send an Upgrade: websocket request"] });
        if (subscription is null)
        {
            return refusal!;
        }
        using var _ = subscription;
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        // Reading is how a close from the client is noticed; the stream stops with it.
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        // A write under way then finishes, for cancelling it aborts the connection, and the client,
        // which reads on until our close frame, would never get one. It has CloseWait to take it.
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var closing = closed.Token.Register(() => writing.CancelAfter(CloseWait));
        var receiving = DrainUntilClosedAsync(socket, closed);
        (WebSocketCloseStatus Status, string Reason)? close;
        try
        {
            await socket.SendAsync(JsonMessages.Subscribed(subscription), WebSocketMessageType.Text, endOfMessage: true, writing.Token);
            // One frame per message, each written through: WebSocket's send has no buffered form.
            await foreach (var (message, _) in subscription.ReadAllAsync(closed.Token))
            {
                await socket.SendAsync(message.JsonMessage, WebSocketMessageType.Text, endOfMessage: true, writing.Token);
                closed.Token.ThrowIfCancellationRequested(); // what is queued behind would not be read
            }
            close = (WebSocketCloseStatus.EndpointUnavailable, "server going away: reconnect and resume");
        }
        catch (SubscriptionEndedException ex) when (ex.Ending.WebSocket is { } code)
        {
            close = (code, ex.Ending.Advice);
        }
        catch (OperationCanceledException) when (closed.IsCancellationRequested)
        {
            close = (WebSocketCloseStatus.NormalClosure, "bye"); // answers the client's close
        }
        catch (WebSocketException)
        {
            close = null; // the client went away mid-send
        }
        // Out of the channel before the close handshake, which may take seconds: a stream that ended
        // itself (its catch-up failed) would otherwise still count among those present, and queue events.
        subscription.Dispose();
        if (close is { } reply)
        {
            await CloseAsync(socket, reply.Status, reply.Reason);
        }
        // Give the client a moment to answer our close frame, then stop reading: cancelling a
        // receive aborts the connection, which could cost the client the close frame itself.
        closed.CancelAfter(CloseWait);
        await receiving;
        return Results.Empty;
    }

    private static async Task DrainUntilClosedAsync(WebSocket socket, CancellationTokenSource closed)
    {
        // Clients send nothing but a close here (control frames carry at most 125 bytes); a
        // small buffer is per-socket memory saved, and anything longer is read in pieces.
        var buffer = new byte[128];
        try
        {
            while (!closed.IsCancellationRequested)
            {
                var message = await socket.ReceiveAsync(buffer, closed.Token);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }
        await closed.CancelAsync();
    }

    /// <remarks>Close reasons must fit in 123 bytes of UTF-8.</remarks>
    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(CloseWait);
            try
            {
                await socket.CloseOutputAsync(status, reason, timeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
        }
    }
}
