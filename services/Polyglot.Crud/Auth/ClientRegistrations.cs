using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Polyglot.Contracts.Auth;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Polyglot.Crud.Auth;

/// <summary>
/// Makes the token server's applications what configuration says, at start: each configured
/// client registered with its secret and scopes, any other removed — so a client is revoked by
/// taking it out of the configuration.
/// </summary>
internal sealed class ClientRegistrations(IServiceScopeFactory scopes, IOptions<AuthOptions> options, ILogger<ClientRegistrations> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var configured = options.Value.Clients;
        foreach (var client in configured)
        {
            await RegisterAsync(applications, Describe(client), ct);
        }

        await foreach (var application in applications.ListAsync(cancellationToken: ct))
        {
            var id = await applications.GetClientIdAsync(application, ct);
            if (!configured.Any(c => c.Id == id))
            {
                await applications.DeleteAsync(application, ct);
                logger.LogInformation("Removed client {ClientId}: it is no longer configured", id);
            }
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

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

    /// <summary>Creates or updates; replicas starting together may race to create the same client.</summary>
    private static async Task RegisterAsync(IOpenIddictApplicationManager applications, OpenIddictApplicationDescriptor descriptor, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await applications.FindByClientIdAsync(descriptor.ClientId!, ct) is { } existing)
                {
                    await applications.UpdateAsync(existing, descriptor, ct);
                }
                else
                {
                    await applications.CreateAsync(descriptor, ct);
                }
                return;
            }
            catch (DbUpdateException) when (attempt == 1)
            {
                // Another replica registered it in between: update theirs.
            }
        }
    }
}
