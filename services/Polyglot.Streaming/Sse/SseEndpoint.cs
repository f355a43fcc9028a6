using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.Features;
using Polyglot.Streaming.Http;
using Polyglot.Streaming.Hub;

namespace Polyglot.Streaming.Sse;

/// <summary>
/// The Server-Sent Events transport: <c>GET /sse?channel=board:{id}</c>. Every event carries
/// <c>id: {position}</c>, so a browser's EventSource resumes by itself with Last-Event-ID
/// (or pass <c>after={position}</c>). Data lines are the same JSON as the WebSocket frames
/// (<see cref="JsonMessages"/>). A bad request gets 400 with problem details, a request while
/// shutting down 503; a stream that must stop sends one "error" message whose
/// <c>code</c> says why (<see cref="Endings"/>: slow_consumer, history_lost, draining,
/// unavailable) and ends.
/// </summary>
public static class SseEndpoint
{
    public const string Path = "/sse";

    public static void MapSseTransport(this WebApplication app) => app.MapGet(Path, SubscribeAsync);

    private static async Task<IResult> SubscribeAsync(HttpContext context, ChannelHub hub)
    {
        var after = context.Request.Headers.TryGetValue("Last-Event-ID", out var lastEventId)
            ? ("Last-Event-ID", lastEventId.FirstOrDefault())
            : ("after", context.Request.Query["after"].FirstOrDefault());
        var (subscription, refusal) = HttpSubscriptions.Subscribe(context, hub, Transport.Sse, after);
        if (subscription is null)
        {
            return refusal!;
        }
        using var _ = subscription;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
        try
        {
            await SseFormatter.WriteAsync(Messages(subscription, context.RequestAborted), context.Response.Body, WriteData, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        return Results.Empty;
    }

    private static async IAsyncEnumerable<SseItem<ReadOnlyMemory<byte>>> Messages(Subscription subscription, [EnumeratorCancellation] CancellationToken ct)
    {
        yield return new SseItem<ReadOnlyMemory<byte>>(JsonMessages.Subscribed(subscription));
        await using var events = subscription.ReadAllAsync(ct).GetAsyncEnumerator(ct);
        while (true)
        {
            byte[]? error = null;
            try
            {
                if (!await events.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (SubscriptionEndedException ex)
            {
                error = JsonMessages.Error(ex.Ending.Code, ex.Message);
            }
            if (error is not null)
            {
                yield return new SseItem<ReadOnlyMemory<byte>>(error);
                yield break;
            }
            // Only events carry an id: presence changes must not move the browser's Last-Event-ID.
            yield return new SseItem<ReadOnlyMemory<byte>>(events.Current.JsonMessage)
            {
                EventId = (events.Current as HubEvent)?.Position.ToString(CultureInfo.InvariantCulture),
            };
        }
    }

    private static void WriteData(SseItem<ReadOnlyMemory<byte>> item, IBufferWriter<byte> writer) => writer.Write(item.Data.Span);
}
