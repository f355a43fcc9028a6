namespace Polyglot.Crud.Caching;

public sealed class ReadCacheOptions
{
    public const string Section = "ReadCache";

    /// <summary>Whether GetBoard, GetColumn and GetCard are answered from memory when they can be.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often this replica reads the outbox for the boards other replicas changed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The bound on staleness across replicas: a cached row is served only while this replica's
    /// last completed read of the outbox started less than this long ago. When the database is
    /// slow or away, reads go to it (and fail with it) instead of serving what may be old.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most rows held; the least recently used go first.</summary>
    [Range(1, 100_000_000)]
    public long SizeLimit { get; set; } = 100_000;
}

[OptionsValidator]
public sealed partial class ReadCacheOptionsValidator : IValidateOptions<ReadCacheOptions>;
