namespace Polyglot.Contracts.Auth;

/// <summary>Clients crud's token server always knows, whatever the configuration adds.</summary>
public static class KnownClients
{
    /// <summary>The live page: a public client (a browser keeps no secret), authorization code with PKCE.</summary>
    public const string LivePage = "polyglot-live";
}
