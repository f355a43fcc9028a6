using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Polyglot.Streaming.Hub;

/// <summary>
/// The hub on the dashboard (meter <c>Polyglot.Streaming</c>, in realtime and in the monolith
/// alike): subscriptions held and deliveries by transport, how long a live event takes from the
/// hub to its subscriber's transport, cut-offs by reason, catch-ups by source, and the
/// subscribers' queues. Recording costs nothing while no listener is attached.
/// </summary>
public sealed class HubMetrics
{
    public const string MeterName = "Polyglot.Streaming";

    private static readonly KeyValuePair<string, object?>[] TransportTags =
        [.. Enum.GetValues<Transport>().Select(t => new KeyValuePair<string, object?>("transport", t switch
        {
            Transport.Grpc => "grpc",
            Transport.WebSocket => "websocket",
            _ => "sse",
        }))];

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _subscriptions;
    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _deliveryDuration;
    private readonly Counter<long> _cutOffs;
    private readonly Counter<long> _catchUps;

    public HubMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _subscriptions = _meter.CreateUpDownCounter<long>("polyglot.hub.subscriptions", "{subscription}", "Subscriptions held, by transport");
        _deliveries = _meter.CreateCounter<long>("polyglot.hub.deliveries", "{event}", "Events written to subscribers, by transport");
        _deliveryDuration = _meter.CreateHistogram<double>("polyglot.hub.delivery.duration", "s",
            "From the hub receiving a live event to its subscriber's transport having written it",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        _cutOffs = _meter.CreateCounter<long>("polyglot.hub.cut_offs", "{subscription}",
            "Streams the server ended, by reason (slow_consumer, history_lost, draining, unavailable) and transport");
        _catchUps = _meter.CreateCounter<long>("polyglot.hub.catch_ups", "{subscription}",
            "Resumed subscriptions, by where the missed events came from (history, event_log)");
    }

    /// <summary>Observes the subscribers' queues through <paramref name="depths"/>, read only when metrics are collected.</summary>
    public void ObserveQueues(Func<IEnumerable<int>> depths)
    {
        _meter.CreateObservableGauge("polyglot.hub.queue.deepest", () => (long)depths().DefaultIfEmpty().Max(), "{message}",
            "The longest subscriber queue: a subscriber nearing Hub:SubscriberQueueCapacity is about to be cut off");
        _meter.CreateObservableGauge("polyglot.hub.queue.messages", () => depths().Sum(d => (long)d), "{message}",
            "Messages waiting in every subscriber queue");
    }

    internal void Subscribed(Transport transport) => _subscriptions.Add(1, TransportTags[(int)transport]);

    internal void Unsubscribed(Transport transport) => _subscriptions.Add(-1, TransportTags[(int)transport]);

    internal void CaughtUp(bool fromHistory) => _catchUps.Add(1, new KeyValuePair<string, object?>("source", fromHistory ? "history" : "event_log"));

    internal void CutOff(EndReason reason, Transport transport) =>
        _cutOffs.Add(1, new KeyValuePair<string, object?>("reason", Endings.Of(reason).Code), TransportTags[(int)transport]);

    /// <param name="receivedAt">When the hub received a live event (Stopwatch ticks); null for one caught up.</param>
    internal void Delivered(Transport transport, long? receivedAt)
    {
        _deliveries.Add(1, TransportTags[(int)transport]);
        if (receivedAt is { } start)
        {
            _deliveryDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, TransportTags[(int)transport]);
        }
    }
}
