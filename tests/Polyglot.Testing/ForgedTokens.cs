using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace Polyglot.Testing;

/// <summary>Bad access tokens made from good ones: what a stale client or a forger would hold.</summary>
public static class ForgedTokens
{
    /// <summary>The token with another signature: as if someone without crud's key had made it.</summary>
    public static string WithForeignSignature(string token) =>
        token[..(token.LastIndexOf('.') + 1)] + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(64));

    /// <summary>The token signed anew with a key crud never had, under a key id of its own: as if someone had made one up.</summary>
    public static string WithUnknownKey(string token)
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = Guid.NewGuid().ToString("N") };
        var original = new JsonWebToken(token);
        return new JsonWebTokenHandler().CreateToken(Base64UrlEncoder.Decode(original.EncodedPayload),
            new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256), new Dictionary<string, object> { ["typ"] = original.Typ });
    }

    /// <summary>
    /// The token again, signed with the key of the crud whose services are <paramref name="crud"/>,
    /// but expiring at <paramref name="expires"/> (and, given one, naming another <paramref name="issuer"/>).
    /// </summary>
    public static string Reissued(string token, DateTime expires, IServiceProvider crud, string? issuer = null)
    {
        var original = new JsonWebToken(token);
        var signing = crud.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue.SigningCredentials[0];
        var issued = DateTime.UtcNow.AddMinutes(-20);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            TokenType = original.Typ,
            Claims = original.Claims.Where(c => c.Type is not ("exp" or "iat" or "nbf" or "aud") && !(issuer is not null && c.Type == "iss"))
                .GroupBy(c => c.Type).ToDictionary(g => g.Key, g => (object)g.First().Value),
            Audience = original.Audiences.First(),
            Issuer = issuer,
            IssuedAt = issued,
            NotBefore = issued,
            Expires = expires,
            SigningCredentials = signing,
        });
    }
}
