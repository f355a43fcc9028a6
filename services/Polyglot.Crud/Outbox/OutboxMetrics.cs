using System.Diagnostics.Metrics;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// Outbox lag on the dashboard: how many committed events the bus has not confirmed yet, and
/// how long the oldest of them has waited. Both stay near zero while RabbitMQ is up; they grow
/// while it is down and fall back once the relay catches up.
/// </summary>
public sealed class OutboxMetrics
{
    private readonly TimeProvider _clock;
    private long _unpublished;
    private long _oldestUnpublishedTicks; // 0: none waiting

    public OutboxMetrics(IMeterFactory meters, TimeProvider clock)
    {
        _clock = clock;
        var meter = meters.Create("Polyglot.Crud.Outbox");
        meter.CreateObservableGauge("polyglot.outbox.unpublished", () => Volatile.Read(ref _unpublished), "{event}",
            "Committed events the bus has not confirmed yet");
        meter.CreateObservableGauge("polyglot.outbox.oldest_unpublished_age", OldestAgeSeconds, "s",
            "How long the oldest unconfirmed event has waited");
    }

    /// <summary>Recorded at the start of every relay round, and by every replica every third of the relay's lease.</summary>
    public void Observe(long unpublished, DateTimeOffset? oldestUnpublished)
    {
        Volatile.Write(ref _unpublished, unpublished);
        Volatile.Write(ref _oldestUnpublishedTicks, oldestUnpublished?.UtcTicks ?? 0);
    }

    private double OldestAgeSeconds()
    {
        var ticks = Volatile.Read(ref _oldestUnpublishedTicks);
        return ticks == 0 ? 0 : (_clock.GetUtcNow().UtcTicks - ticks) / (double)TimeSpan.TicksPerSecond;
    }
}
