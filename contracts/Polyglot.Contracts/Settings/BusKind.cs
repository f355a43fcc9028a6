namespace Polyglot.Contracts.Settings;

/// <summary>
/// How the split's events travel from crud to realtime (the services' setting <c>Bus:Kind</c>;
/// the app host's <c>Polyglot:Bus:Kind</c>). The same batches, in the same order, either way.
/// </summary>
public enum BusKind
{
    /// <summary>MassTransit on RabbitMQ: crud publishes to the fan-out exchange, each realtime replica consumes a queue of its own.</summary>
    MassTransit,

    /// <summary>Dapr pub/sub through each service's sidecar: crud publishes with the Dapr client, realtime takes CloudEvents on an HTTP route.</summary>
    Dapr,
}
