namespace Polyglot.Contracts.Settings;

/// <summary>
/// The app host's own settings (docs/settings.md; <c>./run.sh --Key=Value</c>): read by the app
/// host, and passed by the deploy command when it publishes the app model.
/// </summary>
public static class AppHostSettings
{
    /// <summary>A <see cref="Settings.Topology"/>, by name.</summary>
    public const string Topology = "Polyglot:Topology";

    public const string RealtimeReplicas = "Polyglot:Realtime:Replicas";

    /// <summary>The bus's section: <see cref="Mode"/>, Port and Kind.</summary>
    public const string Bus = "Polyglot:Bus";

    /// <summary>A <see cref="Settings.BusKind"/>, by name.</summary>
    public const string BusKind = Bus + ":Kind";

    /// <summary>The database's section: <see cref="Mode"/>, Port and Provider.</summary>
    public const string Database = "Polyglot:Database";

    /// <summary>A <see cref="Settings.DatabaseProvider"/>, by name.</summary>
    public const string DatabaseProvider = Database + ":Provider";

    /// <summary>In <see cref="Bus"/> and <see cref="Database"/>: how the server comes to exist (Auto, Container, Executable or External).</summary>
    public const string Mode = "Mode";

    public const string DataDirectory = "Polyglot:DataDirectory";
}
