using System.ComponentModel.DataAnnotations;

namespace Polyglot.Realtime.Bus;

public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary>
    /// This instance's queue, bound to the events exchange. Every replica needs a queue of its
    /// own to see every event, so the default is unique per process.
    /// </summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,200}$")]
    public string QueueName { get; set; } = $"realtime.{Environment.MachineName}.{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// How long RabbitMQ keeps the queue once nobody consumes it. The queue is durable, so it
    /// rides out a broker restart without losing events; a replica that is gone for good has
    /// its queue removed after this long (a restarted one backfills from crud instead).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan QueueExpiration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Messages RabbitMQ may push ahead of the consumer; they are processed one at a time regardless.</summary>
    [Range(1, 65_535)]
    public ushort PrefetchCount { get; set; } = 256;
}

[OptionsValidator]
public sealed partial class BusOptionsValidator : IValidateOptions<BusOptions>;
