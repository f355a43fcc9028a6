using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Polyglot.Streaming.Hub;

public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>
    /// Events queued for one subscriber before it counts as too slow and is cut off. Bounds the
    /// memory a stalled reader can pin to this many shared event references.
    /// </summary>
    [Range(1, 1_000_000)]
    public int SubscriberQueueCapacity { get; set; } = 1024;

    /// <summary>Events kept in memory for resuming subscribers, across all channels.</summary>
    [Range(1, 10_000_000)]
    public int HistorySize { get; set; } = 10_000;

    /// <summary>How long an event stays in the in-memory history; older resumes backfill from crud.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan HistoryMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often the hub reads how far crud has published (<see cref="HeadCheck"/>): positions
    /// published a whole interval before that have still not come are read from the log.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan HeadCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a message that finds a subscriber's queue empty waits for others, to be written
    /// with them in one flush: latency traded for CPU under load (as Centrifugo's write delay).
    /// 0 writes at once; messages already queued together are written with one flush either way.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan WriteDelay { get; set; } = TimeSpan.Zero;
}

[OptionsValidator]
public sealed partial class HubOptionsValidator : IValidateOptions<HubOptions>;
