namespace Polyglot.Crud.Grpc;

/// <summary>What every service does to one row by id, as a member of its board: add it, read it, and change it at the version the client read.</summary>
internal static class Rows
{
    /// <summary>
    /// Adds a row at the end of its parent (a column to its board, a card to its column) under the
    /// parent's row lock, so that concurrent adds get dense indexes, and saves it with its event;
    /// NOT_FOUND when the parent is gone. The caller has checked the caller's role.
    /// </summary>
    /// <param name="lockParent">Locks the parent's row; false when there is none.</param>
    /// <param name="make">The new row, made at the given time once the parent is locked.</param>
    public static Task<TReply> AppendAsync<TRow, TReply>(
        this BoardsDbContext db, (string Name, Guid Id) parent, Func<CancellationToken, Task<bool>> lockParent,
        Func<DateTimeOffset, CancellationToken, Task<TRow>> make, Func<TRow, TReply> toReply, Func<TReply, IntegrationEvent> created, CancellationToken ct)
        where TRow : class => db.InTransactionAsync(async () =>
        {
            if (!await lockParent(ct))
            {
                throw Errors.NotFound(parent.Name, parent.Id);
            }
            var row = await make(db.Now(), ct);
            db.Set<TRow>().Add(row);
            var reply = toReply(row);
            db.Events.Raise(created(reply));
            await db.SaveChangesAsync(ct);
            return reply;
        }, ct);

    /// <summary>
    /// The row as its reply, from the read cache when it may answer, for a viewer of its board;
    /// NOT_FOUND when there is none or the caller is not on its board.
    /// </summary>
    public static async Task<TReply> GetAsync<TRow, TReply>(this ReadCache cache, BoardAccess access, Guid id, Func<CancellationToken, Task<TRow?>> read, Func<TRow, TReply> toReply, CancellationToken ct)
        where TRow : class, IVersioned
        where TReply : class
    {
        var (reply, boardId) = await cache.GetAsync<TReply>(id, async token => await read(token) is { } row ? (toReply(row), row.BoardId) : null, ct)
            ?? throw Errors.NotFound(typeof(TRow).Name, id);
        await access.RequireAsync(boardId, BoardRole.Viewer, typeof(TRow).Name, id, ct);
        return reply;
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the row if the caller is an editor of its board and it is
    /// still at <paramref name="version"/> (ABORTED if not), moves it to the next version, and saves
    /// it with its event.
    /// </summary>
    /// <remarks>
    /// The row is read under its own lock: a move or delete renumbering its siblings (which changes
    /// their index, not their version) has then either committed, or waits for this one. Read
    /// before, the reply and the event carried the index from before such a renumbering.
    /// </remarks>
    public static async Task<TReply> UpdateAsync<TRow, TReply>(
        this BoardsDbContext db, BoardAccess access, Guid id, long version, Action<TRow> change, Func<TRow, TReply> toReply, Func<TReply, IntegrationEvent> updated, CancellationToken ct)
        where TRow : class, IVersioned
    {
        var name = typeof(TRow).Name;
        // Before the lock: a non-member takes none.
        var boardId = await db.Set<TRow>().Where(r => r.Id == id).Select(r => (Guid?)r.BoardId).SingleOrDefaultAsync(ct) ?? throw Errors.NotFound(name, id);
        await access.RequireAsync(boardId, BoardRole.Editor, name, id, ct);
        return await db.InTransactionAsync(async () =>
        {
            if (await db.Set<TRow>().Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Version, r => r.Version), ct) == 0)
            {
                throw Errors.NotFound(name, id);
            }
            var row = await db.Set<TRow>().FindAsync([id], ct) ?? throw Errors.NotFound(name, id);
            Errors.ExpectVersion(row, version);
            change(row);
            row.Version++;
            row.UpdatedAt = db.Now();
            var reply = toReply(row);
            db.Events.Raise(updated(reply));
            await db.SaveChangesAsync(ct);
            return reply;
        }, ct);
    }

    /// <summary>The board column <paramref name="columnId"/> is on; NOT_FOUND when there is no such column.</summary>
    public static async Task<Guid> BoardOfColumnAsync(this BoardsDbContext db, Guid columnId, CancellationToken ct) =>
        await db.Columns.Where(c => c.Id == columnId).Select(c => (Guid?)c.BoardId).SingleOrDefaultAsync(ct)
            ?? throw Errors.NotFound("Column", columnId);
}
