using System.ComponentModel.DataAnnotations;
using ValidationResult = System.ComponentModel.DataAnnotations.ValidationResult;

namespace Polyglot.Realtime.Presence;

public sealed class PresenceOptions : IValidatableObject
{
    public const string Section = "Presence";

    /// <summary>How often a replica tells the others what changed (and that it is alive): a join or leave reaches them within this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A replica not heard from for this long is taken for dead: its subscribers leave every other replica's presence.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00")]
    public TimeSpan ExpireAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Every this many announcements, a replica lists everyone it has, not only who changed: what heals a lost message.</summary>
    [Range(1, 10_000)]
    public int CompleteEvery { get; set; } = 30;

    /// <summary>
    /// About how many characters of subscriber ids and channel names one announcement carries; a
    /// longer list goes in parts. At most 2 Mi, so that even ids JSON escapes character by
    /// character (six bytes each) stay under the broker's limit (RabbitMQ 4: 16 MiB): a message
    /// over it would be refused on every try.
    /// </summary>
    [Range(1024, 2 << 20)]
    public int MaxMessageBytes { get; set; } = 1 << 20;

    /// <summary>A replica is heard from every Interval; one announcement late (a pause, a slow broker) must not make it dead.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ExpireAfter < 2 * Interval)
        {
            yield return new ValidationResult($"{nameof(ExpireAfter)} ({ExpireAfter}) must be at least twice {nameof(Interval)} ({Interval}).", [nameof(ExpireAfter)]);
        }
    }
}

[OptionsValidator]
public sealed partial class PresenceOptionsValidator : IValidateOptions<PresenceOptions>;
