using System.Security.Cryptography;
using System.Text;
using Polyglot.Contracts.Auth;

namespace Polyglot.Testing;

/// <summary>A PKCE pair (RFC 7636, S256): the verifier a client keeps, and the challenge it sends first.</summary>
public sealed record Pkce(string Verifier, string Challenge)
{
    public static Pkce Create()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return new Pkce(verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    /// <summary>
    /// The authorization request that sends this challenge, as the live page makes it: a path and
    /// query on crud.
    /// </summary>
    public string AuthorizePath(Uri redirectUri, string scope = $"openid {ApiScopes.Events}", string clientId = KnownClients.LivePage, string? state = null)
    {
        Dictionary<string, string?> parameters = new()
        {
            ["client_id"] = clientId,
            ["response_type"] = "code",
            ["redirect_uri"] = redirectUri.ToString(),
            ["scope"] = scope,
            ["code_challenge"] = Challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = state,
        };
        return TokenServerPaths.Authorize + "?" + string.Join('&', parameters.Where(p => p.Value is not null).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}"));
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
