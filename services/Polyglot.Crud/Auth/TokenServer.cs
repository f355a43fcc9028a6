using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Polyglot.Crud.Data;
using Polyglot.Contracts.Auth;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Polyglot.Crud.Auth;

/// <summary>
/// crud as the OAuth 2 / OpenID Connect token server (OpenIddict): applications and tokens in
/// crud's database, access tokens as signed JWTs that realtime can check with the published keys.
/// </summary>
internal static class TokenServer
{
    public const string TokenPath = "/connect/token";

    /// <summary>About 190 bits of entropy when the characters are random letters and digits.</summary>
    public const int MinSecretLength = 32;

    public static void AddTokenServer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<AuthOptions, AuthOptionsValidator>(AuthOptions.Section);
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var development = builder.Environment.IsDevelopment();

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<BoardsDbContext>())
            .AddServer(server =>
            {
                server.SetTokenEndpointUris(TokenPath.TrimStart('/'));
                server.AllowClientCredentialsFlow();
                server.RegisterScopes([.. ApiScopes.All]);
                server.SetAccessTokenLifetime(auth.AccessTokenLifetime);
                // Plain JWTs, so realtime checks them with the published keys and no call to crud.
                server.DisableAccessTokenEncryption();
                if (auth.Issuer is { } issuer)
                {
                    server.SetIssuer(issuer);
                }

                // Without secrets, Development makes keys at start: their tokens die with the process.
                if (Secret(auth.SigningKey, "Auth:SigningKey", development) is { } signing)
                {
                    server.AddSigningKey(SigningKey(signing));
                }
                else
                {
                    server.AddEphemeralSigningKey();
                }
                if (Secret(auth.EncryptionKey, "Auth:EncryptionKey", development) is { } encryption)
                {
                    server.AddEncryptionKey(EncryptionKey(encryption));
                }
                else
                {
                    server.AddEphemeralEncryptionKey();
                }

                server.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    // Polyglot speaks plain HTTP behind whatever terminates TLS (ingress, mesh).
                    .DisableTransportSecurityRequirement();
            });

        builder.Services.AddHostedService<ClientRegistrations>();
    }

    /// <summary>
    /// The token endpoint, once OpenIddict has checked the client, its secret and the scopes it
    /// may have: a service's token names the client as its subject.
    /// </summary>
    public static void MapTokenEndpoint(this WebApplication app) => app.MapPost(TokenPath, (HttpContext context) =>
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (!request.IsClientCredentialsGrantType())
        {
            throw new InvalidOperationException($"Grant type {request.GrantType} is not enabled.");
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Subject, Claims.Role);
        identity.SetClaim(Claims.Subject, request.ClientId);
        identity.SetScopes(request.GetScopes());
        identity.SetResources(request.GetScopes().Select(ApiScopes.AudienceOf).Distinct());
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }).ExcludeFromDescription();

    /// <summary>The configured secret; none is allowed only in Development.</summary>
    private static string? Secret(string? value, string setting, bool development) => value switch
    {
        { Length: > 0 } => value,
        _ when development => null,
        _ => throw new InvalidOperationException($"{setting} is not set: give crud a random secret of {MinSecretLength} characters or more (the same to every replica)."),
    };

    /// <summary>
    /// A key derived from a configured secret (HKDF-SHA256, one purpose per key): every replica
    /// given the same secret has the same key, and a secret is what Aspire parameters and
    /// deployment secrets generate and carry.
    /// </summary>
    private static byte[] Derive(string secret, string setting, string purpose)
    {
        if (secret.Length < MinSecretLength)
        {
            throw new InvalidOperationException($"{setting} is shorter than {MinSecretLength} characters: give it a random secret.");
        }
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: Encoding.UTF8.GetBytes(purpose));
    }

    /// <summary>An ECDSA P-256 key (ES256): its private scalar derived, its public point computed from it.</summary>
    private static ECDsaSecurityKey SigningKey(string secret)
    {
        var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Derive(secret, "Auth:SigningKey", "polyglot token signing") });
        var key = new ECDsaSecurityKey(ecdsa);
        // The key id is the public key's thumbprint: the same on every replica.
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }

    private static SymmetricSecurityKey EncryptionKey(string secret) =>
        new(Derive(secret, "Auth:EncryptionKey", "polyglot token encryption"));
}
