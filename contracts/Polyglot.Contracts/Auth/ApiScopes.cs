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

    /// <summary>
    /// Every board's events, for services only: realtime's <c>all</c> channel, and crud's event log
    /// (which realtime reads to backfill).
    /// </summary>
    public const string AllEvents = "events.all";

    public static readonly IReadOnlyList<string> All = [Boards, Events, AllEvents];

    /// <summary>The audiences (<c>aud</c>) of an access token granting <paramref name="scope"/>: the APIs that honour it.</summary>
    public static IEnumerable<string> AudiencesOf(string scope) => scope switch
    {
        Boards => [Audiences.Crud],
        AllEvents => [Audiences.Crud, Audiences.Realtime],
        _ => [Audiences.Realtime],
    };
}
