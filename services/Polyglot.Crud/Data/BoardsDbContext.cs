using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Polyglot.Crud.Data;

/// <summary>
/// The monolith's data, and its users. Changes that matter outside it raise integration <see cref="Events"/>,
/// which SaveChangesAsync writes to the outbox in the same transaction as the change.
/// </summary>
/// <remarks>
/// Pooled (AddDbContextPool): a context costs more to set up than a read by primary key, so
/// instances are reused; nothing here may outlive a lease (see <see cref="IntegrationEvents"/>).
/// Provider-neutral on purpose: <see cref="SqliteBoardsDbContext"/> and
/// <see cref="PostgresBoardsDbContext"/> only exist so each provider gets its own generated
/// migrations.
/// </remarks>
public abstract class BoardsDbContext(DbContextOptions options) : IdentityUserContext<User, Guid>(options), IDataProtectionKeyContext
{
    /// <summary>The keys that protect sign-in cookies and anti-forgery tokens, shared by every replica.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Board> Boards => Set<Board>();
    public DbSet<Column> Columns => Set<Column>();
    public DbSet<Card> Cards => Set<Card>();
    public DbSet<BoardMember> Members => Set<BoardMember>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<OutboxCursor> OutboxCursors => Set<OutboxCursor>();
    public DbSet<RelayLease> RelayLeases => Set<RelayLease>();

    /// <summary>Now, to the microsecond: what PostgreSQL stores, so a reply equals a later read.</summary>
    public DateTimeOffset Now()
    {
        var now = this.GetService<TimeProvider>().GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>Raise the change's integration events here; they are saved with it (the outbox).</summary>
    public IntegrationEvents Events => field ??= new IntegrationEvents(this);

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

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken ct = default) =>
        Events.SaveAsync(token => base.SaveChangesAsync(acceptAllChangesOnSuccess, token), ct);

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        Events.ThrowIfRaised();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        // Identity's users, their claims, logins and tokens.
        base.OnModelCreating(model);
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

        model.Entity<BoardMember>(member =>
        {
            member.HasKey(m => new { m.BoardId, m.Subject });
            member.Property(m => m.Subject).HasMaxLength(Limits.SubjectLength);
            member.Property(m => m.Name).HasMaxLength(Limits.SubjectLength);
            member.HasOne<Board>().WithMany().HasForeignKey(m => m.BoardId).OnDelete(DeleteBehavior.Cascade);
            // Listing someone's boards.
            member.HasIndex(m => new { m.Subject, m.BoardId });
        });

        IntegrationEvents.Configure(model);
        RelayLease.Configure(model);
        // The token server's applications, authorizations, scopes and tokens.
        model.UseOpenIddict();
    }
}

public sealed class SqliteBoardsDbContext(DbContextOptions<SqliteBoardsDbContext> options) : BoardsDbContext(options);

public sealed class PostgresBoardsDbContext(DbContextOptions<PostgresBoardsDbContext> options) : BoardsDbContext(options);

/// <summary>Field limits, shared by the schema and the request validation.</summary>
public static class Limits
{
    public const int NameLength = 200;
    public const int DescriptionLength = 2000;
    /// <summary>A user name, user id or client id.</summary>
    public const int SubjectLength = 256;
}
