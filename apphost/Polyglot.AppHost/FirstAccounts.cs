namespace Polyglot.AppHost;

/// <summary>The user and service client a local run gives crud; their secrets are generated parameters.</summary>
public static class DevelopmentAccounts
{
    public const string UserName = "dev";
    public const string PasswordParameter = "dev-password";
    public const string ClientId = "polyglot-dev";
    public const string ClientSecretParameter = "dev-client-secret";
}
