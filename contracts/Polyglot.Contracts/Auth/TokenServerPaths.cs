namespace Polyglot.Contracts.Auth;

/// <summary>Where crud's token server answers, on crud's HTTP endpoint: realtime and the local tools find it here.</summary>
public static class TokenServerPaths
{
    public const string Token = "/connect/token";

    public const string Authorize = "/connect/authorize";

    /// <summary>OpenID Connect RP-initiated logout: signs the person out of crud.</summary>
    public const string EndSession = "/connect/endsession";
}
