using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Polyglot.Crud.Auth;

/// <summary>
/// Makes the token server's clients and configured users what configuration says, at start: each
/// configured client (and the live page's) registered with its secret and scopes, any other
/// removed — so a client is revoked by taking it out of the configuration; each configured user
/// created when missing and given the configured password, any other disabled — so a person is
/// let in by the configuration alone, and let in again when put back.
/// </summary>
internal sealed class Registrations(IServiceScopeFactory scopes, IOptions<AuthOptions> options, ILogger<Registrations> logger) : IHostedService
{
    /// <summary>A lockout that never ends: what marks a user disabled.</summary>
    private static readonly DateTimeOffset Disabled = DateTimeOffset.MaxValue;

    /// <summary>Locked out until the last year there is: not to the tick, which a database may round.</summary>
    public static bool IsDisabled(User user) => user.LockoutEnd?.Year == Disabled.Year;

    public async Task StartAsync(CancellationToken ct)
    {
        var configured = options.Value.Clients.Select(Describe).Append(LivePage(options.Value.LivePageRedirectUris)).ToList();
        foreach (var client in configured)
        {
            await OnceMoreIfRacedAsync(services => RegisterAsync(services.GetRequiredService<IOpenIddictApplicationManager>(), client, ct), ct);
        }

        foreach (var id in await RegisteredClientIdsAsync(ct))
        {
            if (!configured.Any(c => c.ClientId == id))
            {
                await OnceMoreIfRacedAsync(services => RemoveAsync(services.GetRequiredService<IOpenIddictApplicationManager>(), id, ct), ct);
            }
        }

        foreach (var user in options.Value.Users)
        {
            await OnceMoreIfRacedAsync(services => SetUpAsync(services.GetRequiredService<UserManager<User>>(), user), ct);
        }

        foreach (var id in await UnconfiguredUserIdsAsync(ct))
        {
            await OnceMoreIfRacedAsync(services => DisableAsync(services.GetRequiredService<UserManager<User>>(), id), ct);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>The live page: a browser app, so a public client (it keeps no secret) that must use PKCE.</summary>
    private static OpenIddictApplicationDescriptor LivePage(IReadOnlyCollection<Uri> redirectUris)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = KnownClients.LivePage,
            ClientType = ClientTypes.Public,
            DisplayName = "Polyglot live page",
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile, Permissions.Prefixes.Scope + ApiScopes.Events,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        descriptor.RedirectUris.UnionWith(redirectUris);
        // Signed out, the visitor returns to the page as after signing in.
        descriptor.PostLogoutRedirectUris.UnionWith(redirectUris);
        return descriptor;
    }

    private static async Task<IdentityResult> ChangePasswordAsync(UserManager<User> users, User user, string password)
    {
        var removed = await users.RemovePasswordAsync(user);
        return removed.Succeeded ? await users.AddPasswordAsync(user, password) : removed;
    }

    private static async Task SetUpAsync(UserManager<User> users, ConfiguredUser configured)
    {
        if (await users.FindByNameAsync(configured.Name) is not { } user)
        {
            Succeeded(await users.CreateAsync(new User { UserName = configured.Name }, configured.Password), configured.Name);
            return;
        }
        if (!await users.CheckPasswordAsync(user, configured.Password))
        {
            Succeeded(await ChangePasswordAsync(users, user, configured.Password), configured.Name);
        }
        if (IsDisabled(user))
        {
            Succeeded(await users.SetLockoutEndDateAsync(user, null), configured.Name);
        }
    }

    /// <summary>
    /// Locked out for good, Identity's way to disable an account: the sign-in form refuses them as
    /// it refuses a locked-out user. A new security stamp, in the same write, ends the sign-ins
    /// they have (the authorization endpoint checks it), for good: put back, they sign in again.
    /// Disabled already when another replica disabled them first.
    /// </summary>
    private async Task DisableAsync(UserManager<User> users, Guid id)
    {
        if (await users.FindByIdAsync(id.ToString()) is { } user && !IsDisabled(user))
        {
            (user.LockoutEnabled, user.LockoutEnd) = (true, Disabled);
            Succeeded(await users.UpdateSecurityStampAsync(user), user.UserName);
            logger.LogInformation("Disabled user {UserName}: they are no longer configured", user.UserName);
        }
    }

    private async Task<List<Guid>> UnconfiguredUserIdsAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
        var configured = options.Value.Users.Select(u => users.NormalizeName(u.Name)).ToList();
        return await users.Users.Where(u => !configured.Contains(u.NormalizedUserName!)).Select(u => u.Id).ToListAsync(ct);
    }

    private static void Succeeded(IdentityResult result, string? userName)
    {
        if (!result.Succeeded)
        {
            var message = $"Auth:Users: user {userName}: {string.Join(" ", result.Errors.Select(e => e.Description))}";
            // Identity reports a write lost to another replica's as a result, not an exception.
            throw result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.ConcurrencyFailure))
                ? new DbUpdateConcurrencyException(message)
                : new InvalidOperationException(message);
        }
    }

    private static OpenIddictApplicationDescriptor Describe(ServiceClient client)
    {
        if (client.Scopes.FirstOrDefault(s => !ApiScopes.All.Contains(s)) is { } unknown)
        {
            throw new InvalidOperationException($"Auth:Clients: client {client.Id} asks for scope '{unknown}'; the scopes are {string.Join(", ", ApiScopes.All)}.");
        }
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.Id,
            ClientSecret = client.Secret,
            ClientType = ClientTypes.Confidential,
            Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
        };
        descriptor.Permissions.UnionWith(client.Scopes.Select(s => Permissions.Prefixes.Scope + s));
        return descriptor;
    }

    private async Task<List<string?>> RegisteredClientIdsAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        List<string?> ids = [];
        await foreach (var application in applications.ListAsync(cancellationToken: ct))
        {
            ids.Add(await applications.GetClientIdAsync(application, ct));
        }
        return ids;
    }

    /// <summary>Gone already when another replica removed it first.</summary>
    private async Task RemoveAsync(IOpenIddictApplicationManager applications, string? clientId, CancellationToken ct)
    {
        if (clientId is not null && await applications.FindByClientIdAsync(clientId, ct) is { } application)
        {
            await applications.DeleteAsync(application, ct);
            logger.LogInformation("Removed client {ClientId}: it is no longer configured", clientId);
        }
    }

    private static async Task RegisterAsync(IOpenIddictApplicationManager applications, OpenIddictApplicationDescriptor descriptor, CancellationToken ct)
    {
        if (await applications.FindByClientIdAsync(descriptor.ClientId!, ct) is { } existing)
        {
            await applications.UpdateAsync(existing, descriptor, ct);
        }
        else
        {
            await applications.CreateAsync(descriptor, ct);
        }
    }

    /// <summary>
    /// Replicas starting together race to create or change the same client or user: a write that
    /// failed on another's (a unique key, or a concurrency token) is made once more, against what
    /// is there now. Each attempt in a scope of its own: the failed one's context still holds the
    /// write that failed, and its managers' caches the lookup from before.
    /// </summary>
    private async Task OnceMoreIfRacedAsync(Func<IServiceProvider, Task> apply, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var scope = scopes.CreateAsyncScope();
            try
            {
                await apply(scope.ServiceProvider);
                return;
            }
            catch (Exception ex) when (IsRace(ex) && attempt == 1 && !ct.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>
    /// A write lost to another's: a unique key or a concurrency token, or PostgreSQL's serialization
    /// failure inside OpenIddict's own transaction, which Npgsql's retrying strategy, unable to retry
    /// a transaction it did not begin, wraps in an InvalidOperationException.
    /// </summary>
    private static bool IsRace(Exception ex) =>
        ex is DbUpdateException or OpenIddictExceptions.ConcurrencyException
        || ex is InvalidOperationException { InnerException: DbUpdateException };
}
