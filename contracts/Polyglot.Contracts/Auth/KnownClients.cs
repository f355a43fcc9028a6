namespace Polyglot.Contracts.Auth;

/// <summary>Clients of crud's token server with a fixed name.</summary>
public static class KnownClients
{
    /// <summary>realtime, reading crud's event log (client credentials, <c>events.all</c>); configured with its secret wherever realtime runs.</summary>
    public const string Realtime = "polyglot-realtime";

    /// <summary>Always known: the live page, a public client (a browser keeps no secret), authorization code with PKCE.</summary>
    public const string LivePage = "polyglot-live";
}
