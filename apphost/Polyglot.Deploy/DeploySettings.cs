using System.ComponentModel;
using System.Data.Common;
using System.Globalization;
using Polyglot.Contracts.Auth;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Polyglot.Deploy;

public sealed class DeploySettings : CommandSettings
{
    [CommandOption("--output <DIR>"), Description("The folder to write, created when missing (default: deploy).")]
    public string Output { get; init; } = "deploy";

    [CommandOption("--topology <TOPOLOGY>"), Description("split (crud, the bus, realtime; the default) or monolith (crud alone).")]
    public string? TopologyName { get; init; }

    [CommandOption("--dapr"), Description("The split on Dapr: a daprd sidecar beside crud and realtime, RabbitMQ behind Dapr's pub/sub.")]
    public bool Dapr { get; init; }

    [CommandOption("--external"), Description("A RabbitMQ and a PostgreSQL that exist already: no StatefulSets; their connection strings are the parameters bus and db.")]
    public bool External { get; init; }

    [CommandOption("--registry <REGISTRY>"), Description("Prefix of the service images, e.g. ghcr.io/you (default: none, local images).")]
    public string Registry { get; init; } = "";

    [CommandOption("--tag <TAG>"), Description("Tag of the service images (default: the repository's version, which the images are built with).")]
    public string Tag { get; init; } = DeployOptions.DefaultTag;

    [CommandOption("--realtime-replicas <N>"), Description("realtime pods, each seeing every event (default: 2).")]
    public string? RealtimeReplicasText { get; init; }

    [CommandOption("--parameter <NAME=VALUE>"), Description("A value for one of the app model's parameters (a password, an external connection string); once per parameter.")]
    public string[] Parameters { get; init; } = [];

    [CommandOption("--manifest <FILE>"), Description("Deploy an Aspire manifest published before, instead of publishing the app host's now.")]
    public string? Manifest { get; init; }

    /// <summary>The secrets crud takes only from a length on: given shorter, crud would not start.</summary>
    private static readonly Dictionary<string, int> ShortestSecrets = new()
    {
        [AppModelNames.AuthSigningKey] = SecretLengths.Key,
        [AppModelNames.AuthPreviousSigningKey] = SecretLengths.Key,
        [AppModelNames.AuthEncryptionKey] = SecretLengths.Key,
        [AppModelNames.RealtimeClientSecret] = SecretLengths.ClientSecret,
        [AppModelNames.AdminPassword] = SecretLengths.Password,
        [AppModelNames.AdminClientSecret] = SecretLengths.ClientSecret,
    };

    /// <summary>The topology named (the split when none is), or null when the name is neither.</summary>
    public Topology? ChosenTopology => TopologyName is null ? Topology.Split : EnumSetting.Parse<Topology>(TopologyName);

    /// <summary>The replicas asked for, or null when the option is not a whole number of at least 1.</summary>
    public int? RealtimeReplicas => RealtimeReplicasText is null ? 2
        : int.TryParse(RealtimeReplicasText, NumberStyles.None, CultureInfo.InvariantCulture, out var replicas) && replicas >= 1 ? replicas : null;

    public IReadOnlyDictionary<string, string> ParameterValues => Parameters.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    public override ValidationResult Validate() =>
        ChosenTopology is null ? ValidationResult.Error($"--topology is split or monolith, not '{TopologyName}'.")
        : Manifest is not null && (TopologyName is not null || Dapr || External)
            ? ValidationResult.Error("--manifest deploys an app model published before: --topology, --dapr and --external choose what to publish, so they do not go with it.")
        : Dapr && ChosenTopology == Topology.Monolith ? ValidationResult.Error("--dapr is for the split: the monolith has no bus.")
        : RealtimeReplicas is null ? ValidationResult.Error($"--realtime-replicas is a whole number, 1 or more, not '{RealtimeReplicasText}'.")
        : RealtimeReplicasText is not null && ChosenTopology == Topology.Monolith ? ValidationResult.Error("--realtime-replicas is for the split: the monolith runs no realtime.")
        : Parameters.FirstOrDefault(p => p.IndexOf('=', StringComparison.Ordinal) < 1) is { } bad ? ValidationResult.Error($"--parameter takes NAME=VALUE, not '{bad}'.")
        : Parameters.GroupBy(p => p.Split('=')[0]).FirstOrDefault(g => g.Count() > 1) is { } twice ? ValidationResult.Error($"--parameter {twice.Key} is given more than once.")
        : Manifest is not null && !File.Exists(Manifest) ? ValidationResult.Error($"--manifest: there is no file '{Manifest}'.")
        : ParameterValues.FirstOrDefault(p => p.Value.IndexOfAny(['\'', '\n', '\r']) >= 0 || p.Value.Contains("${", StringComparison.Ordinal)).Key is { } quoted
            ? ValidationResult.Error($"--parameter {quoted}: a value cannot hold ', ${{ or a line break (.env holds each value in single quotes, which Compose reads as they are but for ${{...}}, which docker-compose 1.x expands even there).")
        // A chosen password goes as it is into the connection strings the app model builds (Password=...;).
        : ParameterValues.FirstOrDefault(p => p.Key.EndsWith("-password", StringComparison.Ordinal) && (p.Value.IndexOfAny([';', '"']) >= 0 || p.Value.Trim() != p.Value)).Key is { } password
            ? ValidationResult.Error($"--parameter {password}: a password cannot hold ; or \" or begin or end with a space: it goes into connection strings as it is.")
        : ParameterValues.FirstOrDefault(p => p.Value.Length < ShortestSecrets.GetValueOrDefault(p.Key)).Key is { } tooShort
            ? ValidationResult.Error($"--parameter {tooShort}: crud takes a secret of {ShortestSecrets[tooShort]} characters or more here: give it a random one.")
        // The external servers' connection strings in the forms the services take, so that a URL where
        // PostgreSQL wants keywords fails here, not when the pods start; never repeating a value, which
        // holds a password.
        : ParameterValues.GetValueOrDefault(AppModelNames.Bus) is { } bus && BrokerAddress.Parse(bus) is null
            ? ValidationResult.Error($"--parameter {AppModelNames.Bus}: the broker's connection string is {BrokerAddress.Form}.")
        : ParameterValues.GetValueOrDefault(AppModelNames.Database) is { } database && !IsPostgresConnectionString(database)
            ? ValidationResult.Error($"--parameter {AppModelNames.Database}: PostgreSQL's connection string is keywords and values, {DatabaseConnectionString.Form(DatabaseProvider.Postgres)}.")
        : ValidationResult.Success();

    private static bool IsPostgresConnectionString(string value)
    {
        try
        {
            var keywords = new DbConnectionStringBuilder { ConnectionString = value };
            return keywords.ContainsKey("Host") || keywords.ContainsKey("Server");
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
