using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Polyglot.Streaming.Http;

namespace Polyglot.Streaming.Sse;

/// <summary>
/// The Server-Sent Events transport: <c>GET /sse?channel=board:{id}</c>. Every event carries
/// <c>id: {position}</c>, so a browser's EventSource resumes by itself with Last-Event-ID
/// (or pass <c>after={position}</c>). Data lines are the same JSON as the WebSocket frames
/// (<see cref="JsonMessages"/>). The token comes as <c>authorization: Bearer</c> or, from a
/// browser's EventSource, as <c>access_token</c>. A request without a valid one gets 401, a bad
/// request 400, a channel the token does not allow 403, a request while shutting down 503, all
/// with problem details; a stream that must stop sends one "error" message whose
/// <c>code</c> says why (<see cref="Endings"/>: slow_consumer, history_lost, forbidden, draining,
/// unavailable) and ends. A stream with nothing to say gets a comment line now and then
/// (<see cref="SseHeartbeats"/>).
/// </summary>
public static class SseEndpoint
{
    public const string Path = "/sse";

    public static void MapSseTransport(this WebApplication app) => app.MapGet(Path, SubscribeAsync);

    private static async Task<IResult> SubscribeAsync(HttpContext context, ChannelHub hub, SubscriberTokens tokens)
    {
        var (subscription, refusal) = await HttpSubscriptions.SubscribeAsync(context, hub, tokens, Transport.Sse, resumeHeader: "Last-Event-ID");
        if (subscription is null)
        {
            return refusal!;
        }
        using var _ = subscription;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
        var body = context.Response.BodyWriter;
        var ct = context.RequestAborted;
        try
        {
            // Its id is where the stream starts: cut off before the first event, a browser resumes from there (Last-Event-ID).
            Write(body, JsonMessages.Subscribed(subscription), subscription.StartPosition);
            await body.FlushAsync(ct);
            // A message with another ready behind it stays in the response's buffer; the last of them flushes them all.
            await foreach (var (message, moreReady) in subscription.ReadAllAsync(ct))
            {
                if (message is Heartbeat)
                {
                    body.Write(":\n\n"u8); // a comment: EventSource passes over it
                }
                else
                {
                    // Only events carry an id: presence changes must not move the browser's Last-Event-ID.
                    Write(body, message.JsonMessage.Span, (message as HubEvent)?.Position);
                }
                if (!moreReady)
                {
                    await body.FlushAsync(ct);
                }
            }
        }
        catch (SubscriptionEndedException ex)
        {
            Write(body, JsonMessages.Error(ex.Ending.Code, ex.Message), id: null);
            await body.FlushAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return Results.Empty;
    }

    /// <summary>One SSE item. The data is one line (compact JSON escapes its newlines), so it needs one <c>data:</c> field.</summary>
    private static void Write(PipeWriter body, ReadOnlySpan<byte> data, long? id)
    {
        if (id is { } position)
        {
            var line = body.GetSpan(32);
            "id: "u8.CopyTo(line);
            position.TryFormat(line[4..], out var digits, provider: CultureInfo.InvariantCulture);
            line[4 + digits] = (byte)'\n';
            body.Advance(5 + digits);
        }
        body.Write("data: "u8);
        body.Write(data);
        body.Write("\n\n"u8);
    }
}
