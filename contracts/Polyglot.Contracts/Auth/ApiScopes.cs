namespace Polyglot.Contracts.Auth;

/// <summary>
/// The scopes crud's token server grants, and the audience each puts in an access token: one
/// home, used by the token server, the services that check the tokens, and their clients.
/// </summary>
public static class ApiScopes
{
    /// <summary>Read and change boards through crud's API (gRPC and REST).</summary>
    public const string Boards = "boards";

    /// <summary>Subscribe to boards' events through realtime (or the monolith's hub).</summary>
    public const string Events = "events";

    /// <summary>Subscribe to the <c>all</c> channel: every board's events. For services only.</summary>
    public const string AllEvents = "events.all";

    public static readonly IReadOnlyList<string> All = [Boards, Events, AllEvents];

    /// <summary>The audience (<c>aud</c>) of an access token granting <paramref name="scope"/>.</summary>
    public static string AudienceOf(string scope) => scope == Boards ? Audiences.Crud : Audiences.Realtime;
}
