using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Polyglot.Contracts.Auth;
using Polyglot.ServiceDefaults;
using Polyglot.Streaming.Sse;
using Polyglot.Streaming.WebSockets;

namespace Polyglot.Streaming.Auth;

/// <summary>
/// Whether a board's members include a subject (a token's <c>sub</c>). The authority is crud:
/// realtime asks it over gRPC, the monolith reads its own tables.
/// </summary>
public interface IBoardMembers
{
    /// <exception cref="SubscriptionEndedException">Unavailable: crud cannot be asked now.</exception>
    Task<bool> IsMemberAsync(Guid boardId, string subject, CancellationToken ct);
}

/// <summary>
/// Who may subscribe to what, on every transport alike: an access token from crud's token server
/// meant for realtime (<see cref="Audiences.Realtime"/>); <c>all</c> — and any board — with the
/// service scope <see cref="ApiScopes.AllEvents"/>; <c>board:{id}</c> with
/// <see cref="ApiScopes.Events"/> for the board's members only. The token comes as
/// <c>authorization: Bearer</c> (gRPC metadata, an HTTP header) or, from a browser, which can set
/// no header on a WebSocket or an EventSource, as the <c>access_token</c> query parameter.
/// </summary>
public sealed class SubscriberTokens(IBoardMembers members, IOptionsMonitor<JwtBearerOptions> schemes)
{
    /// <summary>The authentication scheme of subscribers' tokens; the host says where its keys come from.</summary>
    public const string Scheme = "subscribers";

    public const string QueryParameter = "access_token";

    /// <summary>Who sent the request, by its access token; checked before anything else in it.</summary>
    /// <exception cref="SubscriptionEndedException">
    /// Unauthenticated: no valid token. Unavailable: the keys that check it were never read (crud
    /// has not answered since this process started) — not the caller's fault, so not a 401.
    /// </exception>
    public async Task<ClaimsPrincipal> AuthenticateAsync(HttpContext context)
    {
        if (schemes.Get(Scheme).ConfigurationManager is { } keys)
        {
            try
            {
                await keys.GetConfigurationAsync(context.RequestAborted); // kept once read: a lookup
            }
            catch (InvalidOperationException) when (!context.RequestAborted.IsCancellationRequested)
            {
                throw new SubscriptionEndedException(EndReason.Unavailable, "Access tokens cannot be checked yet: crud's signing keys have not been read. Subscribe again later.");
            }
        }
        return (await context.AuthenticateAsync(Scheme)).Principal ?? throw new SubscriptionEndedException(EndReason.Unauthenticated,
            $"Subscribing needs a valid access token for {Audiences.Realtime} from crud's token server (authorization: Bearer, or {QueryParameter} on /ws and /sse); this request's is missing, expired or not valid here.");
    }

    /// <summary>The board member <paramref name="user"/> may subscribe to the channel as (null: a service, which may read every channel).</summary>
    /// <exception cref="SubscriptionEndedException">Forbidden.</exception>
    public async Task<string?> AuthorizeAsync(ClaimsPrincipal user, HubChannel channel, CancellationToken ct)
    {
        if (user.HasScope(ApiScopes.AllEvents))
        {
            return null;
        }
        if (channel.BoardId is not { } boardId)
        {
            throw new SubscriptionEndedException(EndReason.Forbidden, $"The {HubChannel.All} channel is for services: it needs the {ApiScopes.AllEvents} scope.");
        }
        if (!user.HasScope(ApiScopes.Events))
        {
            throw new SubscriptionEndedException(EndReason.Forbidden, $"Subscribing to a board needs the {ApiScopes.Events} scope.");
        }
        if (user.FindFirstValue("sub") is not { } subject || !await members.IsMemberAsync(Guid.Parse(boardId), subject, ct))
        {
            // The same words whether the board exists or not: a non-member learns nothing.
            throw new SubscriptionEndedException(EndReason.Forbidden, $"You are not a member of board {boardId}.");
        }
        return subject;
    }

    /// <summary>The text transports' query parameter, for a request to them without an <c>authorization</c> header.</summary>
    internal static string? FromQuery(HttpRequest request) =>
        request.Path.StartsWithSegments(WebSocketEndpoint.Path) || request.Path.StartsWithSegments(SseEndpoint.Path) ? request.Query[QueryParameter].ToString() : null;
}
