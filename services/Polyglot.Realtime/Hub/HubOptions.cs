using System.ComponentModel.DataAnnotations;

namespace Polyglot.Realtime.Hub;

public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>
    /// Events queued for one subscriber before it counts as too slow and is cut off. Bounds the
    /// memory a stalled reader can pin to this many shared event references.
    /// </summary>
    [Range(1, 1_000_000)]
    public int SubscriberQueueCapacity { get; set; } = 1024;
}
