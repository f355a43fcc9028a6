namespace Polyglot.Bench.Cost;

/// <summary>The CRUD side and the fan-out while <see cref="HeldSubscriptions"/> subscriptions are held and events stream to them.</summary>
/// <param name="ServerCpuMicrosecondsPerDelivery">The streaming process's CPU per delivery (in the monolith it also commits the events).</param>
/// <param name="SystemCpuMicrosecondsPerDelivery">Every process's CPU per delivery: services and, in the split, the broker.</param>
/// <param name="GetCardAtRate">GetCard at <see cref="CostSettings.GetCardRate"/>: its latency compares between topologies.</param>
/// <param name="GetCard">GetCard as fast as crud answers (a closed loop): the most it answers.</param>
/// <param name="GetCardAtRateAgain">
/// GetCard at the rate once more, after the other reads: about 30 s and some GB of allocation
/// after the first reading, which starts about 13 s after the level's subscriptions are open. If
/// the first reading pays for opening them, this one is spared it.
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
