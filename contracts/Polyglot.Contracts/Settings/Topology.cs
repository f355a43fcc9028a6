namespace Polyglot.Contracts.Settings;

/// <summary>
/// How the parts are composed (crud's setting <c>Topology</c>; the app host's <c>Polyglot:Topology</c>).
/// The same contracts either way: clients change only the address they stream from.
/// </summary>
public enum Topology
{
    /// <summary>crud publishes to the bus; realtime, a process of its own, streams to subscribers.</summary>
    Split,

    /// <summary>crud alone: its outbox relay hands events to the hub it hosts, which streams to subscribers. No bus.</summary>
    Monolith,
}
