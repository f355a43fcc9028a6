namespace Polyglot.Crud.Outbox;

/// <summary>
/// The outbox read back as the event log: its head, and the events after a position. Served over
/// gRPC to realtime (<c>EventLog</c>) and, in the monolith, read in-process by the hub.
/// </summary>
public static class EventLogReader
{
    /// <summary>
    /// The most event bytes in a page (it holds one event at least): however large the events, a
    /// page stays well inside the 4 MB a gRPC client takes in one message by default.
    /// </summary>
    public const int MaxPageBytes = 1 << 20;

    public static Task<long> ReadHeadAsync(BoardsDbContext db, CancellationToken ct) => ReadCursorAsync(db, OutboxCursor.Written, ct);

    /// <summary>The last position the relay has published.</summary>
    public static Task<long> ReadPublishedAsync(BoardsDbContext db, CancellationToken ct) => ReadCursorAsync(db, OutboxCursor.Published, ct);

    private static Task<long> ReadCursorAsync(BoardsDbContext db, string cursor, CancellationToken ct) =>
        db.OutboxCursors.Where(c => c.Name == cursor).Select(c => c.Position).SingleAsync(ct);

    /// <summary>
    /// Up to <paramref name="pageSize"/> events after <paramref name="afterPosition"/>, fewer past
    /// <see cref="MaxPageBytes"/>, and the head they were read at.
    /// </summary>
    /// <exception cref="HistoryLostException">The log was pruned past <paramref name="afterPosition"/>.</exception>
    public static async Task<(List<IntegrationEvent> Events, long Head)> ReadPageAsync(
        BoardsDbContext db, long afterPosition, Guid? boardId, int pageSize, CancellationToken ct)
    {
        var events = db.Outbox.AsNoTracking().Where(m => m.Position > afterPosition);
        if (boardId is { } board)
        {
            events = events.Where(m => m.BoardId == board);
        }
        List<byte[]> payloads = [];
        var bytes = 0L;
        await foreach (var payload in events.OrderBy(m => m.Position).Take(pageSize).Select(m => m.Payload).AsAsyncEnumerable().WithCancellation(ct))
        {
            if (payloads.Count > 0 && bytes + payload.Length > MaxPageBytes)
            {
                break;
            }
            payloads.Add(payload);
            bytes += payload.Length;
        }
        // After the page, so the head is at or past every event returned.
        var head = await ReadHeadAsync(db, ct);
        // Last: the pruner (another replica's, too) may run between these statements, and only an
        // oldest row read after the page shows whether the page was read whole. Read first, it let
        // a page with pruned rows missing pass as complete. (Pruned just after a whole page, the
        // read is said to be history lost: at the window's edge, the safe side.)
        var oldest = await db.Outbox.MinAsync(m => (long?)m.Position, ct);

        // The log holds every position after its oldest row's predecessor; older ones were pruned.
        var floor = (oldest ?? head + 1) - 1;
        if (afterPosition < floor)
        {
            throw new HistoryLostException(
                $"History lost: the event log starts after position {floor}, not {afterPosition}. Re-read the state, then subscribe live.");
        }
        return ([.. payloads.Select(IntegrationEvent.Parser.ParseFrom)], head);
    }
}

/// <summary>The event log no longer holds the events asked for.</summary>
public sealed class HistoryLostException(string message) : Exception(message);
