using Microsoft.AspNetCore.Authorization;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using Polyglot.Contracts.Auth;
using Polyglot.Crud.Grpc;

namespace Polyglot.Crud.Auth;

/// <summary>
/// crud's API takes the access tokens its own token server issues: checked in-process with the
/// server's keys (OpenIddict validation, local server), for crud's audience and the scope the
/// API needs. What a caller may do on a board is <see cref="BoardAccess"/>'s part.
/// </summary>
internal static class ApiAuthorization
{
    /// <summary>A token meant for crud, with the <see cref="ApiScopes.Boards"/> scope.</summary>
    public const string BoardsPolicy = "boards";

    /// <summary>A token meant for crud, with the <see cref="ApiScopes.AllEvents"/> scope: a service reading the event log.</summary>
    public const string EventLogPolicy = "event-log";

    public static void AddApiAuthorization(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenIddict().AddValidation(validation =>
        {
            validation.UseLocalServer();
            validation.AddAudiences(Audiences.Crud);
            validation.UseAspNetCore();
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(BoardsPolicy, policy => RequireScope(policy, ApiScopes.Boards))
            .AddPolicy(EventLogPolicy, policy => RequireScope(policy, ApiScopes.AllEvents));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<BoardAccess>();
    }

    private static void RequireScope(AuthorizationPolicyBuilder policy, string scope) => policy
        .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
        .RequireAuthenticatedUser()
        .RequireAssertion(context => context.User.HasScope(scope));
}
