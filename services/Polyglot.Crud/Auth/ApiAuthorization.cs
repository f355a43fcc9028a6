using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Server;
using Polyglot.Contracts.Auth;
using Polyglot.Crud.Grpc;

namespace Polyglot.Crud.Auth;

/// <summary>
/// crud's API takes the access tokens its own token server issues (JwtBearer, with the server's
/// keys in-process): meant for crud, of the scope the API needs. What a caller may do on a board
/// is <see cref="BoardAccess"/>'s part.
/// </summary>
internal static class ApiAuthorization
{
    /// <summary>A token meant for crud, with the <see cref="ApiScopes.Boards"/> scope.</summary>
    public const string BoardsPolicy = "boards";

    /// <summary>A token meant for crud, with the <see cref="ApiScopes.AllEvents"/> scope: a service reading the event log.</summary>
    public const string EventLogPolicy = "event-log";

    public static void AddApiAuthorization(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ValidatedTokens>();
        builder.Services.AddAuthentication().AddJwtBearer(options =>
        {
            options.MapInboundClaims = false; // "sub", "name" and "scope" as the token has them
            options.TokenValidationParameters.ValidAudience = Audiences.Crud;
            options.TokenValidationParameters.ValidTypes = ["at+jwt"]; // an access token, not an identity token
            // crud checks what crud issued, on clocks kept in step (NTP): an expired token is
            // refused at once, not five minutes later.
            options.TokenValidationParameters.ClockSkew = TimeSpan.Zero;
            options.Events = new JwtBearerEvents
            {
                OnMessageReceived = context => context.HttpContext.RequestServices.GetRequiredService<ValidatedTokens>().TryReuse(context),
                OnTokenValidated = context => context.HttpContext.RequestServices.GetRequiredService<ValidatedTokens>().Keep(context),
            };
        });
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptionsMonitor<OpenIddictServerOptions>, IOptions<AuthOptions>>((jwt, server, auth) =>
            {
                jwt.TokenValidationParameters.IssuerSigningKeys = [.. server.CurrentValue.SigningCredentials.Select(c => c.Key)];
                // The signature already says crud issued it (the key is crud's alone); with an issuer
                // configured the token must name it too. Without one, tokens name the address they
                // were asked at, which need not be the one they are shown at (HTTP or gRPC).
                jwt.TokenValidationParameters.ValidIssuer = auth.Value.Issuer?.AbsoluteUri;
                jwt.TokenValidationParameters.ValidateIssuer = auth.Value.Issuer is not null;
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(BoardsPolicy, policy => RequireScope(policy, ApiScopes.Boards))
            .AddPolicy(EventLogPolicy, policy => RequireScope(policy, ApiScopes.AllEvents));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<BoardAccess>();
    }

    private static void RequireScope(AuthorizationPolicyBuilder policy, string scope) => policy
        .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
        .RequireAuthenticatedUser()
        .RequireAssertion(context => context.User.FindAll("scope").SelectMany(claim => claim.Value.Split(' ')).Contains(scope));

    /// <summary>
    /// Tokens already validated, by their SHA-256, until they expire: a token's signature is checked
    /// on its first call, not on every one. Checking an ES256 signature and running the handler on
    /// every call cost ≈ 190 µs of CPU: GetCard from memory ran at 7,200 a second so, 24,000 with
    /// the check remembered (bench/README.md). Bounded by count: a few MB at most.
    /// </summary>
    private sealed class ValidatedTokens : IDisposable
    {
        private readonly MemoryCache _principals = new(new MemoryCacheOptions { SizeLimit = 10_000 });

        public Task TryReuse(MessageReceivedContext context)
        {
            if (Bearer(context.Request) is { } token && _principals.TryGetValue(Key(token), out ClaimsPrincipal? principal))
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
                _principals.Set(Key(token.EncodedToken), context.Principal, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = token.ValidTo });
            }
            return Task.CompletedTask;
        }

        public void Dispose() => _principals.Dispose();

        private static string Key(string token) => Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

        private static string? Bearer(HttpRequest request) =>
            request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }
}
