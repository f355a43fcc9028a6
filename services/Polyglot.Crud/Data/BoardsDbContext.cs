using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;
using Polyglot.Contracts.Events.V1;
using Polyglot.Crud.Outbox;

namespace Polyglot.Crud.Data;

/// <summary>
/// The monolith's data. Changes that matter outside it are <see cref="Raise"/>d as integration
/// events; <see cref="SaveChangesAsync(bool, CancellationToken)"/> writes them to the outbox in the
/// same transaction as the change, so an event exists if and only if its change committed.
/// </summary>
/// <remarks>
/// Provider-neutral on purpose: <see cref="SqliteBoardsDbContext"/> and
/// <see cref="PostgresBoardsDbContext"/> only exist so each provider gets its own generated
/// migrations.
/// </remarks>
public abstract class BoardsDbContext(DbContextOptions options, TimeProvider clock) : DbContext(options)
{
    private readonly List<IntegrationEvent> _raised = [];

    public DbSet<Board> Boards => Set<Board>();
    public DbSet<Column> Columns => Set<Column>();
    public DbSet<Card> Cards => Set<Card>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<OutboxCursor> OutboxCursors => Set<OutboxCursor>();

    /// <summary>Now, to the microsecond: what PostgreSQL stores, so a reply equals a later read.</summary>
    public DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>Queues an event for the next save; it commits with the change or not at all.</summary>
    public void Raise(IntegrationEvent integrationEvent) => _raised.Add(integrationEvent);

    /// <summary>Runs <paramref name="work"/> and the saves it makes in one transaction.</summary>
    public async Task<T> InTransactionAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        await using var transaction = await Database.BeginTransactionAsync(ct);
        var result = await work();
        await transaction.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// Takes the board's row lock until commit (a no-op update; SQLite locks the whole file
    /// anyway). Whoever changes the order of a board's columns holds it, so indices stay dense.
    /// </summary>
    /// <returns>false when the board does not exist.</returns>
    public async Task<bool> LockBoardAsync(Guid id, CancellationToken ct) =>
        await Boards.Where(b => b.Id == id).ExecuteUpdateAsync(s => s.SetProperty(b => b.Version, b => b.Version), ct) == 1;

    /// <summary>The same for the order of a column's cards. Lock several columns in id order.</summary>
    public async Task<bool> LockColumnAsync(Guid id, CancellationToken ct) =>
        await Columns.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Version, c => c.Version), ct) == 1;

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken ct = default)
    {
        if (_raised.Count == 0)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, ct);
        }

        try
        {
            var ownTransaction = Database.CurrentTransaction is null ? await Database.BeginTransactionAsync(ct) : null;
            await using (ownTransaction)
            {
                // The domain rows first, the position cursor last: the cursor's row lock is then
                // held only for the outbox insert and the commit, and no transaction can hold the
                // cursor while it waits for a row another one holds (no deadlock).
                var written = await base.SaveChangesAsync(acceptAllChangesOnSuccess, ct);
                written += await AppendToOutboxAsync(acceptAllChangesOnSuccess, ct);
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

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        _raised.Count == 0
            ? base.SaveChanges(acceptAllChangesOnSuccess)
            : throw new InvalidOperationException("Changes with integration events are saved with SaveChangesAsync.");

    private async Task<int> AppendToOutboxAsync(bool acceptAllChangesOnSuccess, CancellationToken ct)
    {
        var count = _raised.Count;
        var last = (await Database
            .SqlQuery<long>($"""
                UPDATE "OutboxCursors" SET "Position" = "Position" + {count}
                WHERE "Name" = {OutboxCursor.Written}
                RETURNING "Position" AS "Value"
                """)
            .ToListAsync(ct)).Single();

        var now = Now();
        var position = last - count;
        foreach (var integrationEvent in _raised)
        {
            integrationEvent.Position = ++position;
            integrationEvent.EventId = Guid.CreateVersion7(now).ToString();
            integrationEvent.OccurredAt = Timestamp.FromDateTimeOffset(now);
            Outbox.Add(new OutboxMessage
            {
                Position = position,
                EventId = Guid.Parse(integrationEvent.EventId),
                BoardId = Guid.Parse(integrationEvent.BoardId),
                Type = integrationEvent.PayloadCase.ToString(),
                OccurredAt = now,
                Payload = integrationEvent.ToByteArray(),
                TraceParent = Activity.Current?.Id,
            });
        }
        return await base.SaveChangesAsync(acceptAllChangesOnSuccess, ct);
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Board>(board =>
        {
            board.Property(b => b.Name).HasMaxLength(Limits.NameLength);
            board.Property(b => b.Description).HasMaxLength(Limits.DescriptionLength);
            board.Property(b => b.Version).IsConcurrencyToken();
            board.HasMany<Column>().WithOne().HasForeignKey(c => c.BoardId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Column>(column =>
        {
            column.Property(c => c.Name).HasMaxLength(Limits.NameLength);
            column.Property(c => c.Version).IsConcurrencyToken();
            column.HasIndex(c => new { c.BoardId, c.Index });
            column.HasMany<Card>().WithOne().HasForeignKey(c => c.ColumnId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Card>(card =>
        {
            card.Property(c => c.Title).HasMaxLength(Limits.NameLength);
            card.Property(c => c.Description).HasMaxLength(Limits.DescriptionLength);
            card.Property(c => c.Version).IsConcurrencyToken();
            card.HasIndex(c => new { c.ColumnId, c.Index });
            card.HasIndex(c => c.BoardId);
        });

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

public sealed class SqliteBoardsDbContext(DbContextOptions<SqliteBoardsDbContext> options, TimeProvider clock)
    : BoardsDbContext(options, clock);

public sealed class PostgresBoardsDbContext(DbContextOptions<PostgresBoardsDbContext> options, TimeProvider clock)
    : BoardsDbContext(options, clock);

/// <summary>Field limits, shared by the schema and the request validation.</summary>
public static class Limits
{
    public const int NameLength = 200;
    public const int DescriptionLength = 2000;
}
