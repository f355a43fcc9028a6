namespace Polyglot.Crud.Outbox;

/// <summary>
/// Which crud replica runs the outbox relay: exactly one at a time, so batches are not published
/// once per replica. A row in the database holds the holder and when its lease runs out; the holder
/// renews it every third of <see cref="OutboxOptions.LeaseDuration"/>, a standby takes it over once
/// it has run out — when the holder died — and a holder that stops hands it back at once. Works
/// on both providers: no advisory locks, two conditional UPDATEs.
/// </summary>
/// <remarks>
/// Times are the replicas' own clocks: they must agree to well within a third of the lease. Should
/// two relays still overlap (a holder paused past its lease), nothing breaks: a batch is published
/// twice, consumers drop positions they have seen, and the published cursor only moves forward.
/// </remarks>
public sealed class RelayLease
{
    public const string Relay = "relay";

    public required string Name { get; set; }

    /// <summary>Who holds it: host, process and a random part; null when free.</summary>
    public string? Holder { get; set; }

    /// <summary>When it runs out, in Unix milliseconds (SQLite compares numbers, not DateTimeOffsets).</summary>
    public long ExpiresAt { get; set; }

    /// <summary>Takes or renews the lease for <paramref name="holder"/>; false while another holder's lease runs.</summary>
    public static async Task<bool> TryHoldAsync(BoardsDbContext db, string holder, DateTimeOffset now, TimeSpan duration, CancellationToken ct)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var until = nowMs + (long)duration.TotalMilliseconds;
        return await db.RelayLeases
            .Where(l => l.Name == Relay && (l.Holder == holder || l.Holder == null || l.ExpiresAt < nowMs))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, holder).SetProperty(l => l.ExpiresAt, until), ct) == 1;
    }

    /// <summary>Hands the lease back, so a standby takes over without waiting for it to run out.</summary>
    public static Task ReleaseAsync(BoardsDbContext db, string holder, CancellationToken ct) =>
        db.RelayLeases
            .Where(l => l.Name == Relay && l.Holder == holder)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, (string?)null).SetProperty(l => l.ExpiresAt, 0L), ct);

    public static void Configure(ModelBuilder model) => model.Entity<RelayLease>(lease =>
    {
        lease.HasKey(l => l.Name);
        lease.Property(l => l.Name).HasMaxLength(32);
        lease.Property(l => l.Holder).HasMaxLength(200);
        lease.HasData(new RelayLease { Name = Relay, Holder = null, ExpiresAt = 0 });
    });
}
