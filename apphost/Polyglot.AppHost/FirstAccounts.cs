using Polyglot.Contracts.Settings;

namespace Polyglot.AppHost;

/// <summary>
/// The user and the service client (every scope) the app host gives crud, their secrets generated
/// parameters: <c>dev</c> for a local run; <c>admin</c> in a deployment, its first accounts, whose
/// secrets the deploy generator writes into the Secrets and <c>.env</c> (docs/deploy.md).
/// </summary>
public sealed record FirstAccounts(string UserName, string PasswordParameter, string ClientId, string ClientSecretParameter)
{
    public static readonly FirstAccounts Local = new("dev", "dev-password", "polyglot-dev", "dev-client-secret");
    public static readonly FirstAccounts Deployed = new("admin", AppModelNames.AdminPassword, "polyglot-admin", AppModelNames.AdminClientSecret);
}
