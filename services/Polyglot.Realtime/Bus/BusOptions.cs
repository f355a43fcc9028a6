using System.ComponentModel.DataAnnotations;

namespace Polyglot.Realtime.Bus;

public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary>This replica's queue, bound to the events exchange. Each replica needs its own to see every event.</summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,200}$")]
    public string QueueName { get; set; } = "realtime";

    /// <summary>Messages RabbitMQ may push ahead of the consumer; they are processed one at a time regardless.</summary>
    [Range(1, 65_535)]
    public ushort PrefetchCount { get; set; } = 256;
}
