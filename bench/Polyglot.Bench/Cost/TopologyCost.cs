namespace Polyglot.Bench.Cost;

/// <summary>The CRUD side and the fan-out while <see cref="HeldSubscriptions"/> subscriptions are held and events stream to them.</summary>
/// <param name="ServerCpuMicrosecondsPerDelivery">The streaming process's CPU per delivery (in the monolith it also commits the events).</param>
/// <param name="SystemCpuMicrosecondsPerDelivery">Every process's CPU per delivery: services and, in the split, the broker.</param>
/// <param name="GetCardAtRate">GetCard at <see cref="CostSettings.GetCardRate"/>: its latency compares between topologies.</param>
/// <param name="GetCard">GetCard as fast as crud answers (a closed loop): the most it answers.</param>
/// <param name="GetCardAtRateAgain">
/// GetCard at the rate once more, after the other reads (about 20 s and some GB of allocation
/// later): what opening the level's subscriptions left for the collector to do shows in the first
/// reading rather than in this one.
/// </param>
public sealed record UnderLoad(
    int HeldSubscriptions, double DeliveriesPerSecond, double ServerCpuMicrosecondsPerDelivery, double SystemCpuMicrosecondsPerDelivery,
    ReadLoad GetCardAtRate, ReadLoad GetCard, ReadLoad ListCards, ReadLoad GetCardAtRateAgain);

/// <summary>Everything the cost command measured for one topology.</summary>
public sealed record TopologyCost(
    Topology Topology,
    Operated Operated,
    Footprint Idle,
    double ServicesStartupSeconds,
    double BrokerStartupSeconds,
    Latency HopOneAtATime,
    Latency HopSteady,
    int HopSteadyRate,
    Latency SubscribeAsService,
    Latency SubscribeAsMember,
    IReadOnlyList<UnderLoad> UnderLoad,
    FaultOutcome StreamingKilled,
    FaultOutcome CrudRedeployed);
