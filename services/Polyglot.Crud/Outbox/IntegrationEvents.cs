using System.Diagnostics;
using Google.Protobuf;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// The integration events a unit of work raises, written to the outbox in the same transaction
/// as the change: an event exists if and only if its change committed. Plugged into
/// <see cref="BoardsDbContext"/>'s SaveChangesAsync.
/// </summary>
/// <remarks>
/// <para>
/// Positions come from the <see cref="OutboxCursor.Written"/> counter row, which the writing
/// transaction increments last: its row lock is held until commit, so positions are handed out
/// in commit order, gap-free, and a reader that has seen position N has seen everything before
/// it. (An identity column would not do: its values are taken before commit, so transactions
/// could commit out of order, and rollbacks leave gaps.) The price is that writers which raise
/// events serialise on that row from the increment to the commit — on SQLite every writer
/// serialises anyway; docs/design.md gives the writes per second it allows on both providers.
/// </para>
/// <para>
/// Not MassTransit's own EF Core outbox: it deletes what it delivered (this outbox is also the
/// event log that subscribers backfill from), numbers nothing in commit order (positions are
/// what subscribers resume after), and publishes message by message (the relay publishes
/// batches of consecutive positions, one confirm each). It is also not served to this project.
/// </para>
/// </remarks>
public sealed class IntegrationEvents(BoardsDbContext db)
{
    private readonly List<IntegrationEvent> _raised = [];
    private readonly HashSet<Guid> _appendedBoards = [];
    private int _lease = db.ContextId.Lease;

    /// <summary>Queues an event for the next save; it commits with the change or not at all.</summary>
    public void Raise(IntegrationEvent integrationEvent) => Raised.Add(integrationEvent);

    /// <summary>This lease's events.</summary>
    private List<IntegrationEvent> Raised
    {
        get
        {
            ForgetEarlierLeases();
            return _raised;
        }
    }

    /// <summary>
    /// The boards whose events the transaction that just committed appended (for the read cache
    /// to invalidate); emptied by the call.
    /// </summary>
    public IReadOnlyCollection<Guid> TakeCommittedBoards()
    {
        ForgetEarlierLeases();
        if (_appendedBoards.Count == 0)
        {
            return [];
        }
        Guid[] boards = [.. _appendedBoards];
        _appendedBoards.Clear();
        return boards;
    }

    /// <summary>A pooled context is rented again and again: what a request raised or appended must not outlive its lease.</summary>
    private void ForgetEarlierLeases()
    {
        if (db.ContextId.Lease != _lease)
        {
            _raised.Clear();
            _appendedBoards.Clear();
            _lease = db.ContextId.Lease;
        }
    }

    /// <summary>
    /// Saves the change with <paramref name="saveChanges"/> and, when events were raised, appends
    /// them to the outbox in the same transaction (the caller's, or one of its own).
    /// </summary>
    public async Task<int> SaveAsync(Func<CancellationToken, Task<int>> saveChanges, CancellationToken ct)
    {
        if (Raised.Count == 0)
        {
            return await saveChanges(ct);
        }
        try
        {
            var ownTransaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
            await using (ownTransaction)
            {
                // The domain rows first, the position counter last: its row lock is then held only
                // for the outbox insert and the commit, and no transaction can hold the counter
                // while it waits for a row another one holds (no deadlock).
                var written = await saveChanges(ct);
                written += await AppendAsync(saveChanges, ct);
                if (ownTransaction is not null)
                {
                    await ownTransaction.CommitAsync(ct);
                }
                return written;
            }
        }
        finally
        {
            _raised.Clear();
        }
    }

    /// <summary>Synchronous saves cannot carry events (only the data protection key store saves so, and raises none).</summary>
    public void ThrowIfRaised()
    {
        if (Raised.Count > 0)
        {
            throw new InvalidOperationException("Changes with integration events are saved with SaveChangesAsync.");
        }
    }

    private async Task<int> AppendAsync(Func<CancellationToken, Task<int>> saveChanges, CancellationToken ct)
    {
        var count = _raised.Count;
        var last = (await db.Database
            .SqlQuery<long>($"""
                UPDATE "OutboxCursors" SET "Position" = "Position" + {count}
                WHERE "Name" = {OutboxCursor.Written}
                RETURNING "Position" AS "Value"
                """)
            .ToListAsync(ct)).Single();

        var now = db.Now();
        var position = last - count;
        foreach (var integrationEvent in _raised)
        {
            integrationEvent.Position = ++position;
            integrationEvent.EventId = Guid.CreateVersion7(now).ToString();
            integrationEvent.OccurredAt = Timestamp.FromDateTimeOffset(now);
            var boardId = Guid.Parse(integrationEvent.BoardId);
            _appendedBoards.Add(boardId);
            db.Outbox.Add(new OutboxMessage
            {
                Position = position,
                EventId = Guid.Parse(integrationEvent.EventId),
                BoardId = boardId,
                Type = integrationEvent.PayloadCase.ToString(),
                OccurredAt = now,
                Payload = integrationEvent.ToByteArray(),
                TraceParent = Activity.Current?.Id,
            });
        }
        return await saveChanges(ct);
    }

    /// <summary>The outbox's tables: the log by position, and the two cursors.</summary>
    public static void Configure(ModelBuilder model)
    {
        model.Entity<OutboxMessage>(message =>
        {
            message.HasKey(m => m.Position);
            message.Property(m => m.Position).ValueGeneratedNever();
            message.Property(m => m.Type).HasMaxLength(64);
            message.Property(m => m.TraceParent).HasMaxLength(128);
            message.HasIndex(m => m.EventId).IsUnique();
            message.HasIndex(m => new { m.BoardId, m.Position });
        });

        model.Entity<OutboxCursor>(cursor =>
        {
            cursor.HasKey(c => c.Name);
            cursor.Property(c => c.Name).HasMaxLength(32);
            cursor.HasData(
                new OutboxCursor { Name = OutboxCursor.Written, Position = 0 },
                new OutboxCursor { Name = OutboxCursor.Published, Position = 0 });
        });
    }
}
