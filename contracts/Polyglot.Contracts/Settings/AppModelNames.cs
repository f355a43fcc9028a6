namespace Polyglot.Contracts.Settings;

/// <summary>
/// The names the app host gives its resources, and the settings it hands the services: one home,
/// used by the app host, the services, the deploy generator and the tests.
/// </summary>
public static class AppModelNames
{
    public const string Crud = "crud";
    public const string Realtime = "realtime";
    public const string Bus = "bus";
    public const string Database = "db";

    /// <summary>The parameters crud derives its token signing and encryption keys from (<see cref="Auth.SecretLengths.Key"/>).</summary>
    public const string AuthSigningKey = "auth-signing-key", AuthEncryptionKey = "auth-encryption-key";

    /// <summary>The parameter of the signing secret being rotated out, published but signing nothing; none by default.</summary>
    public const string AuthPreviousSigningKey = "auth-previous-signing-key";

    /// <summary>The parameter of realtime's secret as crud's client (<see cref="Auth.SecretLengths.ClientSecret"/>).</summary>
    public const string RealtimeClientSecret = "realtime-client-secret";

    /// <summary>The parameters of a deployment's first accounts' secrets: its user's password and its service client's secret.</summary>
    public const string AdminPassword = "admin-password", AdminClientSecret = "admin-client-secret";

    /// <summary>crud's setting naming its <see cref="Settings.Topology"/>.</summary>
    public const string TopologySetting = "Topology";

    /// <summary>crud's setting naming its <see cref="Settings.DatabaseProvider"/>; its connection string is <see cref="Database"/>'s.</summary>
    public const string DatabaseProviderSetting = "Database:Provider";

    /// <summary><see cref="DatabaseProviderSetting"/> as an environment variable, as the app host hands it over.</summary>
    public const string DatabaseProviderVariable = "Database__Provider";

    /// <summary>crud's and realtime's setting naming their <see cref="Settings.BusKind"/>.</summary>
    public const string BusKindSetting = "Bus:Kind";

    /// <summary><see cref="BusKindSetting"/> as an environment variable, as the app host and the manifests hand it over.</summary>
    public const string BusKindVariable = "Bus__Kind";

    /// <summary>
    /// crud's and realtime's readiness check (every health check: the database or the hub; the bus
    /// too, but MassTransit reports a broker outage as Degraded, still a 200), on their http
    /// endpoint: the app host waits on it, the deploy files' readiness probes call it.
    /// </summary>
    public const string HealthPath = "/health";

    /// <summary>Their liveness check: the process answers. The deploy files' liveness probes call it.</summary>
    public const string AlivePath = "/alive";

    /// <summary>Over Dapr: realtime's route where its sidecar delivers the events topic.</summary>
    public const string DaprEventsRoute = "/dapr/events";

    /// <summary>Over Dapr: the app API token realtime's sidecar sends (<c>dapr-api-token</c>) and realtime expects, as Dapr names it.</summary>
    public const string DaprAppTokenVariable = "APP_API_TOKEN";

    /// <summary>Over Dapr: the app model's parameter holding that token.</summary>
    public const string DaprAppToken = "dapr-app-token";

    /// <summary>
    /// Over Dapr: the API token the sidecars require of every call to their own API, and crud's
    /// Dapr client sends (<c>dapr-api-token</c>), as Dapr names it.
    /// </summary>
    public const string DaprApiTokenVariable = "DAPR_API_TOKEN";

    /// <summary>Over Dapr: the app model's parameter holding that token.</summary>
    public const string DaprApiToken = "dapr-api-token";
}
