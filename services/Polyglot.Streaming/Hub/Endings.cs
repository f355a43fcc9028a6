using System.Net.WebSockets;
using Grpc.Core;

namespace Polyglot.Streaming.Hub;

/// <summary>Why a subscription ended, or was refused before it began: every reason there is, once.</summary>
public enum EndReason
{
    /// <summary>It fell further behind than its queue holds: resume after the last position received.</summary>
    SlowConsumer,

    /// <summary>Neither the hub's history nor the event log holds what it asked for: re-read the state, then subscribe live.</summary>
    HistoryLost,

    /// <summary>The server is shutting down: reconnect (to another replica if there is one) and resume.</summary>
    Draining,

    /// <summary>The server is starting and cannot yet promise every later event: retry in a moment.</summary>
    Starting,

    /// <summary>
    /// crud could not be asked what the subscription needs — the event log to catch it up, who is on
    /// the board, the keys that check tokens: resume (or subscribe) later.
    /// </summary>
    Unavailable,

    /// <summary>The request itself is wrong: fix it (the fields are named).</summary>
    BadRequest,

    /// <summary>No access token, or one that is expired, forged or meant for another service: sign in, then subscribe.</summary>
    Unauthenticated,

    /// <summary>
    /// The token does not allow this channel: <c>all</c> without the service scope, a board the
    /// subscriber is not a member of (or that does not exist: the two read the same) — or no
    /// longer is, ending an open stream when the subscriber is removed. Do not retry.
    /// </summary>
    Forbidden,
}

/// <summary>How one <see cref="EndReason"/> reads on each transport.</summary>
/// <param name="Code">The SSE error message's <c>code</c>, and the title of a refusal's problem details.</param>
/// <param name="Grpc">The gRPC status the call ends with.</param>
/// <param name="Http">The HTTP status of a WebSocket or SSE request refused before its stream starts; null for reasons that only end a stream.</param>
/// <param name="WebSocket">The close code of an open WebSocket; null for reasons that only refuse a request.</param>
/// <param name="Advice">What the client should do, short enough for a WebSocket close reason (123 bytes).</param>
public sealed record Ending(string Code, StatusCode Grpc, int? Http, WebSocketCloseStatus? WebSocket, string Advice);

/// <summary>
/// The one table from end reason to each transport's code (the model is Centrifuge's list of
/// disconnects). The transports look reasons up here and nowhere else; realtime.proto, the README
/// and the live page document these same codes.
/// </summary>
public static class Endings
{
    private static readonly Dictionary<EndReason, Ending> Table = new()
    {
        [EndReason.SlowConsumer] = new("slow_consumer", StatusCode.ResourceExhausted, null,
            (WebSocketCloseStatus)4429, "fell too far behind: resume after your last position"),
        [EndReason.HistoryLost] = new("history_lost", StatusCode.OutOfRange, null,
            (WebSocketCloseStatus)4410, "history lost: re-read the state, then subscribe live"),
        [EndReason.Draining] = new("draining", StatusCode.Unavailable, StatusCodes.Status503ServiceUnavailable,
            WebSocketCloseStatus.EndpointUnavailable, "server shutting down: reconnect and resume"),
        [EndReason.Starting] = new("starting", StatusCode.Unavailable, StatusCodes.Status503ServiceUnavailable,
            null, "server starting: retry in a moment"),
        // 1013 is the registered "Try Again Later".
        [EndReason.Unavailable] = new("unavailable", StatusCode.Unavailable, StatusCodes.Status503ServiceUnavailable,
            (WebSocketCloseStatus)1013, "crud unavailable: resume later after your last position"),
        [EndReason.BadRequest] = new("bad_request", StatusCode.InvalidArgument, StatusCodes.Status400BadRequest,
            null, "bad request: fix the fields named"),
        [EndReason.Unauthenticated] = new("unauthenticated", StatusCode.Unauthenticated, StatusCodes.Status401Unauthorized,
            null, "sign in, then subscribe"),
        // 4403 mirrors HTTP's 403, as 4429 and 4410 mirror theirs.
        [EndReason.Forbidden] = new("forbidden", StatusCode.PermissionDenied, StatusCodes.Status403Forbidden,
            (WebSocketCloseStatus)4403, "not a member of this board (any more): do not resume"),
    };

    public static Ending Of(EndReason reason) => Table[reason];
}

/// <summary>A subscription ends (or is refused) for <see cref="Reason"/>; the message says what happened and what to do.</summary>
public sealed class SubscriptionEndedException(EndReason reason, string message) : Exception(message)
{
    public EndReason Reason { get; } = reason;

    public Ending Ending => Endings.Of(Reason);
}
