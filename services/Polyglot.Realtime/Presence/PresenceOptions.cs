using System.ComponentModel.DataAnnotations;

namespace Polyglot.Realtime.Presence;

public sealed class PresenceOptions
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
}

[OptionsValidator]
public sealed partial class PresenceOptionsValidator : IValidateOptions<PresenceOptions>;
