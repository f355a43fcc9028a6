using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Polyglot.Realtime.Backfill;

/// <summary>
/// crud's public signing keys, read from its key set (<c>/.well-known/jwks</c> beside its token
/// endpoint) rather than through its discovery document: that names the issuer's addresses, which
/// are what browsers and clients use, not necessarily what realtime reaches crud at. JwtBearer's
/// configuration manager keeps them, and reads them again for a token signed with a key it does
/// not know (crud's keys rolled over).
/// </summary>
internal sealed class CrudSigningKeys : IConfigurationRetriever<OpenIdConnectConfiguration>
{
    /// <summary>Where crud publishes its keys: <c>.well-known/jwks</c> beside <c>connect/token</c>, under whatever path crud is served at.</summary>
    public static Uri KeySetOf(Uri tokenEndpoint) => new(tokenEndpoint, "../.well-known/jwks");

    /// <summary>A first read waits no longer than this: until it succeeds, subscribers are told "unavailable".</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
    {
        var configuration = new OpenIdConnectConfiguration();
        foreach (var key in new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel)).GetSigningKeys())
        {
            configuration.SigningKeys.Add(key);
        }
        return configuration;
    }
}
