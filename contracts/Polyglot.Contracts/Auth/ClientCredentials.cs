using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Polyglot.Contracts.Auth;

/// <summary>
/// A service signed in at crud's token server with its own credentials (OAuth 2 client
/// credentials): an access token for <paramref name="scope"/>, fetched when first asked for and
/// kept until shortly before it expires. Safe to share between calls.
/// </summary>
/// <param name="http">Makes the client that asks, once per token (e.g. IHttpClientFactory's).</param>
public sealed class ClientCredentials(Func<HttpClient> http, Uri tokenEndpoint, string clientId, string clientSecret, string scope)
{
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private Token? _token;

    public async Task<string> AccessTokenAsync(CancellationToken ct = default)
    {
        if (Volatile.Read(ref _token) is { } kept && kept.ValidUntil > DateTimeOffset.UtcNow)
        {
            return kept.Value;
        }
        await _fetching.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _token) is { } fetched && fetched.ValidUntil > DateTimeOffset.UtcNow)
            {
                return fetched.Value; // another caller fetched it meanwhile
            }
            using var client = http();
            using var response = await client.PostAsync(tokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = clientId,
                ["client_secret"] = clientSecret,
                ["scope"] = scope,
            }), ct);
            if (!response.IsSuccessStatusCode)
            {
                // An OAuth error is JSON naming the problem; a proxy's error page need not be.
                throw new InvalidOperationException($"{tokenEndpoint} gave {clientId} no token: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
            var reply = await response.Content.ReadFromJsonAsync<TokenReply>(ct);
            if (reply?.AccessToken is null)
            {
                throw new InvalidOperationException($"{tokenEndpoint} gave {clientId} no access_token.");
            }
            // Renewed a minute before it expires, or halfway through a short life.
            var now = DateTimeOffset.UtcNow;
            Volatile.Write(ref _token, new Token(reply.AccessToken, now.AddSeconds(Math.Max(reply.ExpiresIn / 2, reply.ExpiresIn - 60)), now));
            return reply.AccessToken;
        }
        finally
        {
            _fetching.Release();
        }
    }

    /// <summary>
    /// Drops <paramref name="refused"/>, the token a server has just refused (its keys changed since
    /// it was issued), so that the next call fetches another rather than the kept one until it
    /// expires. Not one fetched within the last <see cref="RefetchAfter"/>: a server that refuses
    /// every token (a wrong issuer, say) gets one token request that often, not one per call.
    /// </summary>
    public void Refused(string refused)
    {
        if (Volatile.Read(ref _token) is { } kept && kept.Value == refused && DateTimeOffset.UtcNow - kept.FetchedAt >= RefetchAfter)
        {
            Interlocked.CompareExchange(ref _token, null, kept);
        }
    }

    /// <summary>How long a fetched token is kept even when refused.</summary>
    public static readonly TimeSpan RefetchAfter = TimeSpan.FromSeconds(5);

    private sealed record Token(string Value, DateTimeOffset ValidUntil, DateTimeOffset FetchedAt);

    private sealed record TokenReply(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);
}
