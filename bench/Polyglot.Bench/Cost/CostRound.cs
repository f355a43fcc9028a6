namespace Polyglot.Bench.Cost;

/// <summary>Both topologies measured once, one after the other: <paramref name="First"/> first.</summary>
public sealed record CostRound(int Number, Topology First, TopologyCost Monolith, TopologyCost Split);
