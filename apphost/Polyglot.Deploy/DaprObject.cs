using k8s.Models;

namespace Polyglot.Deploy;

/// <summary>A Dapr custom resource (Component, Subscription): KubernetesClient has no model of Dapr's kinds.</summary>
public sealed class DaprObject : IKubernetesObject<V1ObjectMeta>
{
    public required string ApiVersion { get; set; }

    public required string Kind { get; set; }

    public required V1ObjectMeta Metadata { get; set; }

    public required object Spec { get; init; }

    /// <summary>A Component's secret store (default: the platform's).</summary>
    public Dictionary<string, string>? Auth { get; init; }

    /// <summary>The app ids that may load it.</summary>
    public required List<string> Scopes { get; init; }
}
