using System.ComponentModel.DataAnnotations;

namespace Polyglot.Crud.Outbox;

public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>Rows read and published per round trip to the database.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 256;

    /// <summary>How often to look for rows without a local commit signal (other replicas' commits).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Pause after a failed round (broker or database down) before trying again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);
}
