using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Memory;

namespace Polyglot.Crud.Caching;

/// <summary>
/// Single rows by id (boards, columns, cards) and members' roles, held in memory so a read by primary key costs
/// neither EF Core nor the database. A cached row is served only if no commit to its board has
/// been seen since the row was read: this replica's own commits are seen as they commit (so a
/// client reads its own writes), other replicas' through the outbox (<see cref="ReadCacheTail"/>),
/// within <see cref="ReadCacheOptions.MaxStaleness"/>, or at once when a write here finds a newer
/// version than its client read (<see cref="Grpc.StaleVersionException"/>).
/// </summary>
/// <remarks>
/// Invalidation is by board, not by row: every change raises an event for its board, and some
/// change rows beyond the one named (a move or a delete renumbers the column's other cards).
/// Validity is a comparison of numbers, not an eviction racing a load: every invalidation takes
/// the next number of a sequence and stamps the board's slot with it; a row remembers the
/// sequence as it was before its database read began, and is valid while its board's slot is not
/// newer. A read that began before a commit and finishes after its invalidation is therefore
/// never served later. (Evicting keys would lose that race: the slow read would put the old row
/// back after the eviction.) Boards share <see cref="Slots"/> slots by hash: a collision costs a
/// miss, never a stale row.
/// </remarks>
public sealed class ReadCache : IDisposable
{
    private const int Slots = 4096;

    private readonly bool _enabled;
    private readonly MemoryCache _rows;
    private readonly long[] _boardStamps = new long[Slots];
    private readonly long _maxStalenessTicks;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private long _sequence;
    private long _everythingStamp;
    private long _freshUntil; // Stopwatch ticks; 0 until the outbox has been read once

    public ReadCache(IOptions<ReadCacheOptions> options, IMeterFactory meters)
    {
        _enabled = options.Value.Enabled;
        _rows = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.SizeLimit });
        _maxStalenessTicks = (long)(options.Value.MaxStaleness.TotalSeconds * Stopwatch.Frequency);
        var meter = meters.Create("Polyglot.Crud.ReadCache");
        _hits = meter.CreateCounter<long>("polyglot.read_cache.hits", "{read}", "Reads by id answered from memory");
        _misses = meter.CreateCounter<long>("polyglot.read_cache.misses", "{read}", "Reads by id that went to the database");
    }

    /// <summary>The row under this key (a row's id), from memory if still valid, else from <paramref name="load"/> (and kept).</summary>
    /// <param name="load">Reads the row and names its board; null when there is no such row (not kept).</param>
    /// <returns>The row and its board; null when there is none.</returns>
    public async Task<(T Row, Guid BoardId)?> GetAsync<T>(object key, Func<CancellationToken, Task<(T Row, Guid BoardId)?>> load, CancellationToken ct) where T : class
    {
        if (!_enabled)
        {
            return await load(ct);
        }
        if (_rows.TryGetValue(key, out Entry? entry) && entry!.Row is T cached && IsValid(entry))
        {
            _hits.Add(1);
            return (cached, entry.BoardId);
        }
        _misses.Add(1);
        var readAfter = Interlocked.Read(ref _sequence); // before the read: see the remarks
        if (await load(ct) is not { } loaded)
        {
            return null;
        }
        _rows.Set(key, new Entry(loaded.Row, loaded.BoardId, readAfter), new MemoryCacheEntryOptions { Size = 1 });
        return loaded;
    }

    /// <summary>A commit to this board was seen: rows of it read before now are not served again.</summary>
    public void Invalidate(Guid boardId) => RaiseTo(ref _boardStamps[Slot(boardId)], Interlocked.Increment(ref _sequence));

    /// <summary>Commits may have been missed (the outbox was pruned past them): nothing read before now is served again.</summary>
    public void InvalidateEverything() => RaiseTo(ref _everythingStamp, Interlocked.Increment(ref _sequence));

    /// <summary>The outbox was read completely, starting at <paramref name="startedAt"/> (Stopwatch ticks).</summary>
    public void CaughtUp(long startedAt) => RaiseTo(ref _freshUntil, startedAt + _maxStalenessTicks);

    public void Dispose() => _rows.Dispose();

    private bool IsValid(Entry entry) =>
        Stopwatch.GetTimestamp() < Volatile.Read(ref _freshUntil)
        && Volatile.Read(ref _boardStamps[Slot(entry.BoardId)]) <= entry.ReadAfter
        && Volatile.Read(ref _everythingStamp) <= entry.ReadAfter;

    private static int Slot(Guid boardId) => (int)((uint)boardId.GetHashCode() % Slots);

    private static void RaiseTo(ref long stamp, long value)
    {
        var current = Volatile.Read(ref stamp);
        while (current < value && Interlocked.CompareExchange(ref stamp, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    private sealed record Entry(object Row, Guid BoardId, long ReadAfter);
}
