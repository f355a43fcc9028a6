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

    /// <summary>crud's setting naming its <see cref="Settings.Topology"/>.</summary>
    public const string TopologySetting = "Topology";

    /// <summary>crud's and realtime's setting naming their <see cref="Settings.BusKind"/>.</summary>
    public const string BusKindSetting = "Bus:Kind";

    /// <summary><see cref="BusKindSetting"/> as an environment variable, as the app host and the manifests hand it over.</summary>
    public const string BusKindVariable = "Bus__Kind";

    /// <summary>Over Dapr: realtime's route where its sidecar delivers the events topic.</summary>
    public const string DaprEventsRoute = "/dapr/events";
}
