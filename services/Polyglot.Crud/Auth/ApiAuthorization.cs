using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using OpenIddict.Server;
using Polyglot.Crud.Extensions;
using Polyglot.Crud.Grpc;
using Polyglot.ServiceDefaults;
using Polyglot.Streaming.Auth;

namespace Polyglot.Crud.Auth;

/// <summary>
/// crud's API takes the access tokens its own token server issues (<see cref="AccessTokens"/>,
/// with the server's keys in-process): meant for crud, of the scope the API needs. What a caller
/// may do on a board is <see cref="BoardAccess"/>'s part. The monolith's hub checks its
/// subscribers' tokens with the same keys (<see cref="SubscriberTokens"/>).
/// </summary>
internal static class ApiAuthorization
{
    /// <summary>A token meant for crud, with the <see cref="ApiScopes.Boards"/> scope.</summary>
    public const string BoardsPolicy = "boards";

    /// <summary>A token meant for crud, with the <see cref="ApiScopes.AllEvents"/> scope: a service reading the event log.</summary>
    public const string EventLogPolicy = "event-log";

    public static void AddApiAuthorization(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication().AddAccessTokens(JwtBearerDefaults.AuthenticationScheme, Audiences.Crud);
        // The monolith's hub checks its subscribers' tokens with the same keys.
        string[] schemes = builder.Configuration.Topology() == Contracts.Settings.Topology.Monolith
            ? [JwtBearerDefaults.AuthenticationScheme, SubscriberTokens.Scheme]
            : [JwtBearerDefaults.AuthenticationScheme];
        foreach (var scheme in schemes)
        {
            builder.Services.AddOptions<JwtBearerOptions>(scheme)
                .Configure<IOptionsMonitor<OpenIddictServerOptions>, IOptions<AuthOptions>>((jwt, server, auth) =>
                {
                    jwt.TokenValidationParameters.IssuerSigningKeys = [.. server.CurrentValue.SigningCredentials.Select(c => c.Key)];
                    jwt.ExpectIssuer(auth.Value.Issuer);
                });
        }
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(BoardsPolicy, policy => RequireScope(policy, ApiScopes.Boards))
            .AddPolicy(EventLogPolicy, policy => RequireScope(policy, ApiScopes.AllEvents));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<BoardAccess>();
    }

    private static void RequireScope(AuthorizationPolicyBuilder policy, string scope) => policy
        .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
        .RequireAuthenticatedUser()
        .RequireAssertion(context => context.User.HasScope(scope));
}
