using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Polyglot.Contracts.Auth;

namespace Polyglot.Testing;

/// <summary>crud's token endpoint (<c>POST /connect/token</c>), called as a client calls it: a form post, a JSON reply.</summary>
public static class TokenEndpoint
{
    /// <summary>A service's request: its own credentials, for <paramref name="scope"/> (space-separated).</summary>
    public static Task<(HttpStatusCode Status, JsonElement Body)> ClientCredentialsAsync(HttpClient http, string clientId, string secret, string scope) =>
        PostAsync(http, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = scope,
        });

    /// <summary>The live page's request: a code for the token, proven with the PKCE verifier.</summary>
    public static Task<(HttpStatusCode Status, JsonElement Body)> AuthorizationCodeAsync(HttpClient http, string code, Uri redirectUri, string verifier) =>
        PostAsync(http, new()
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = KnownClients.LivePage,
            ["code"] = code,
            ["redirect_uri"] = redirectUri.ToString(),
            ["code_verifier"] = verifier,
        });

    private static async Task<(HttpStatusCode, JsonElement)> PostAsync(HttpClient http, Dictionary<string, string> form)
    {
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }
}
