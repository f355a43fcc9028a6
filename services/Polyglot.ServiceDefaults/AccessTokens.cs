using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Polyglot.ServiceDefaults;

/// <summary>
/// How a Polyglot API checks the access tokens crud's token server issues (JwtBearer): meant for
/// that API (<c>aud</c>), an access token rather than an identity token, expired at its second,
/// and each token's check remembered until it expires. Where the keys come from is the host's
/// part: in-process in crud, crud's published key set in realtime.
/// </summary>
public static class AccessTokens
{
    /// <param name="scheme">The authentication scheme's name; a host may check tokens for more than one API.</param>
    /// <param name="audience">The API's name, which the token's <c>aud</c> must hold.</param>
    /// <param name="tokenFrom">Where a request without an <c>authorization</c> header may carry its token (a browser's query parameter).</param>
    public static AuthenticationBuilder AddAccessTokens(this AuthenticationBuilder builder, string scheme, string audience, Func<HttpRequest, string?>? tokenFrom = null)
    {
        builder.Services.TryAddSingleton<ValidatedTokens>();
        return builder.AddJwtBearer(scheme, options =>
        {
            options.MapInboundClaims = false; // "sub", "name" and "scope" as the token has them
            options.TokenValidationParameters.ValidAudience = audience;
            options.TokenValidationParameters.ValidTypes = ["at+jwt"]; // an access token, not an identity token
            // The issuer and its APIs keep their clocks in step (NTP): an expired token is refused
            // at once, not five minutes later.
            options.TokenValidationParameters.ClockSkew = TimeSpan.Zero;
            options.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    if (string.IsNullOrEmpty(context.Request.Headers.Authorization) && tokenFrom?.Invoke(context.Request) is { Length: > 0 } token)
                    {
                        context.Token = token;
                    }
                    return context.HttpContext.RequestServices.GetRequiredService<ValidatedTokens>().TryReuse(context);
                },
                OnTokenValidated = context => context.HttpContext.RequestServices.GetRequiredService<ValidatedTokens>().Keep(context),
            };
        });
    }

    /// <summary>
    /// The signature already says crud issued a token (the key is crud's alone); with an issuer
    /// configured (<c>Auth:Issuer</c>) the token must name it too. Without one, tokens name the
    /// address they were asked at, which need not be the one they are shown at (HTTP or gRPC).
    /// </summary>
    public static void ExpectIssuer(this JwtBearerOptions options, Uri? issuer)
    {
        options.TokenValidationParameters.ValidIssuer = issuer?.AbsoluteUri;
        options.TokenValidationParameters.ValidateIssuer = issuer is not null;
    }

    /// <summary>Whether the token grants <paramref name="scope"/> (its <c>scope</c> claims, space-separated).</summary>
    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.FindAll("scope").SelectMany(claim => claim.Value.Split(' ')).Contains(scope);

    /// <summary>
    /// Tokens already validated, by scheme and SHA-256, until they expire: a token's signature is
    /// checked on its first call, not on every one. Checking an ES256 signature and running the
    /// handler on every call cost ≈ 190 µs of CPU: GetCard from memory ran at 7,200 a second so,
    /// 24,000 with the check remembered (bench/README.md). Keyed by scheme too, since each scheme
    /// wants its own audience. Bounded by count: a few MB at most.
    /// </summary>
    private sealed class ValidatedTokens : IDisposable
    {
        private readonly MemoryCache _principals = new(new MemoryCacheOptions { SizeLimit = 10_000 });

        public Task TryReuse(MessageReceivedContext context)
        {
            if ((context.Token ?? Bearer(context.Request)) is { } token && _principals.TryGetValue(Key(context.Scheme.Name, token), out ClaimsPrincipal? principal))
            {
                context.Principal = principal;
                context.Success();
            }
            return Task.CompletedTask;
        }

        public Task Keep(TokenValidatedContext context)
        {
            if (context.SecurityToken is JsonWebToken token)
            {
                _principals.Set(Key(context.Scheme.Name, token.EncodedToken), context.Principal, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = token.ValidTo });
            }
            return Task.CompletedTask;
        }

        public void Dispose() => _principals.Dispose();

        private static string Key(string scheme, string token) => scheme + ":" + Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

        private static string? Bearer(HttpRequest request) =>
            request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
