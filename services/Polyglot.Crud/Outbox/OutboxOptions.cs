namespace Polyglot.Crud.Outbox;

public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>
    /// Whether this instance may run the relay. With several crud replicas, one at a time does
    /// (<see cref="RelayLease"/>); the others stand by.
    /// </summary>
    public bool RelayEnabled { get; set; } = true;

    /// <summary>
    /// How long the relay's lease lasts unrenewed: how soon a standby replica — or the same one,
    /// restarted after a crash — takes over from a relay that died. Renewed every third of it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows read and published per round: all in flight at once, confirmed together (fewer when they carry more than 1 MiB of payload).</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 256;

    /// <summary>How often to look for rows without a local commit signal (other replicas' commits).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a batch may wait for RabbitMQ's confirms before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First pause after a failed round (broker or database down); it doubles, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest pause between failed rounds. Short, so that the relay adds little to the bus's
    /// own reconnect (about a second) before live delivery resumes after an outage; a failed round
    /// costs one read of the outbox.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The backfill window: published events stay in the log at least this long, so a subscriber
    /// that was away for less can resume without a gap. Older ones are pruned.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most events one page of the event log returns, whatever a reader asks for.</summary>
    [Range(1, 100_000)]
    public int MaxEventLogPageSize { get; set; } = 1000;

    /// <summary>How often the pruner runs.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);
}

[OptionsValidator]
public sealed partial class OutboxOptionsValidator : IValidateOptions<OutboxOptions>;
