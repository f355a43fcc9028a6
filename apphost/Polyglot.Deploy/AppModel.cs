using System.Text.Json;
using System.Text.RegularExpressions;

namespace Polyglot.Deploy;

/// <summary>
/// The app model as Aspire's manifest publisher writes it (aspire-manifest.json): the one
/// description of what runs, which both deploy targets are generated from.
/// </summary>
public sealed partial record AppModel(IReadOnlyDictionary<string, Resource> Resources)
{
    public static AppModel Load(string manifestPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var resources = document.RootElement.GetProperty("resources").EnumerateObject()
            .ToDictionary(r => r.Name, r => Resource.From(r.Name, r.Value));
        return new AppModel(resources);
    }

    public Resource this[string name] => Resources.TryGetValue(name, out var resource)
        ? resource
        : throw new InvalidOperationException($"The app model has no resource '{name}'.");

    public IEnumerable<Resource> Workloads => Resources.Values.Where(r => r.IsProject || r.IsContainer);

    /// <summary>The topology the app model was published in: Monolith when crud says so.</summary>
    public Topology Topology =>
        Resources.TryGetValue(AppModelNames.Crud, out var crud) && crud.Env.TryGetValue(AppModelNames.TopologySetting, out var value)
            ? Enum.Parse<Topology>(value)
            : Topology.Split;

    /// <summary>How crud's events travel in the split: Dapr when crud was published with Bus:Kind=Dapr.</summary>
    public BusKind BusKind =>
        Resources.TryGetValue(AppModelNames.Crud, out var crud) && crud.Env.TryGetValue(AppModelNames.BusKindVariable, out var value)
            ? Enum.Parse<BusKind>(value)
            : BusKind.MassTransit;

    /// <summary>The workload that holds the long-lived subscriptions: realtime in the split, crud in the monolith.</summary>
    public bool HoldsSubscriptions(Resource resource) =>
        resource.Name == (Topology == Topology.Monolith ? AppModelNames.Crud : AppModelNames.Realtime);

    /// <summary>Pods of a workload: realtime scales out (each replica binds its own queue); everything else runs one.</summary>
    public int ReplicasOf(Resource resource, DeployOptions options) =>
        resource.Name == AppModelNames.Realtime ? options.RealtimeReplicas : 1;

    /// <summary>A resource's settings, without those that point at a binding no deployment serves.</summary>
    public IEnumerable<KeyValuePair<string, string>> SettingsOf(Resource resource) =>
        resource.Env.Where(setting => !BindingReference().Matches(setting.Value).Any(m =>
            this[m.Groups[1].Value].Bindings.TryGetValue(m.Groups[2].Value, out var binding) && !binding.IsServed));

    [GeneratedRegex(@"\{([A-Za-z0-9_-]+)\.bindings\.([A-Za-z0-9_-]+)\.")]
    private static partial Regex BindingReference();
}
