using System.Diagnostics;
using Polly;
using Polly.Retry;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// Delivers committed outbox rows in position order, a batch of consecutive rows at a time, to
/// its <see cref="IOutboxDestination"/> — the bus (each batch one message, waiting for RabbitMQ's
/// publisher confirm) or the in-process hub; then the <see cref="OutboxCursor.Published"/> cursor
/// moves past the batch. A batch that is not confirmed is sent again; so is one confirmed just
/// before a crash, before the cursor moved: delivery is at-least-once, and consumers drop
/// positions they have seen. While the destination is down, rounds are retried with exponential
/// backoff for as long as it takes. With several crud replicas only the holder of the
/// <see cref="RelayLease"/> delivers, renewing it all the while, and the cursor only ever moves
/// forward; every replica shows the outbox lag on its dashboard, whichever relays.
/// </summary>
public sealed partial class OutboxRelay : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly IOutboxDestination _destination;
    private readonly OutboxSignal _signal;
    private readonly OutboxMetrics _metrics;
    private readonly OutboxOptions _options;
    private readonly ILogger<OutboxRelay> _logger;
    private readonly TimeProvider _clock;
    private readonly ResiliencePipeline _retry;
    /// <summary>
    /// A batch is one message: it carries at most this many bytes of payload (and at least one
    /// row), whatever <see cref="OutboxOptions.BatchSize"/> allows — well under what RabbitMQ (16 MiB)
    /// and Dapr (4 MB) take, once base64 and the envelope are added. A batch over the broker's
    /// limit would be refused on every retry, and the relay would never get past it.
    /// </summary>
    private const int MaxBatchPayloadBytes = 1 << 20;

    private readonly string _holder = ServiceInstance.NewId();
    private DateTimeOffset? _renewAt; // while the lease is held: when to renew it

    public OutboxRelay(
        IServiceScopeFactory scopes, IOutboxDestination destination, OutboxSignal signal, OutboxMetrics metrics,
        IOptions<OutboxOptions> options, TimeProvider clock, ILogger<OutboxRelay> logger)
    {
        (_scopes, _destination, _signal, _metrics, _options, _clock, _logger) = (scopes, destination, signal, metrics, options.Value, clock, logger);
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                // Everything but stopping: a publish timeout is a failure like any other.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
                MaxDelay = _options.MaxRetryDelay,
                OnRetry = args =>
                {
                    LogPublishFailed(args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.RelayEnabled)
        {
            return;
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (await HoldLeaseAsync(stoppingToken))
                {
                    await RelayWhileHeldAsync(stoppingToken);
                    continue;
                }
                await ObserveLagAsync(stoppingToken);
                await Task.Delay(_options.LeaseDuration / 3, _clock, stoppingToken); // standing by
            }
        }
        finally
        {
            await ReleaseLeaseAsync();
        }
    }

    /// <summary>
    /// Publishes for as long as the lease is renewed, every third of its duration beside the
    /// publishing: a round that waits on a broker that is down, or slow to confirm, keeps the lease,
    /// so no other replica publishes the same rows meanwhile. Once it is lost, the round in flight
    /// is given up (its rows are the new holder's to publish) and this replica stands by.
    /// </summary>
    private async Task RelayWhileHeldAsync(CancellationToken stoppingToken)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewing = RenewLeaseAsync(held);
        try
        {
            while (true)
            {
                var sent = await _retry.ExecuteAsync(PublishBatchAsync, held.Token);
                if (sent == 0)
                {
                    await _signal.WaitAsync(_options.PollInterval, held.Token);
                }
            }
        }
        catch (Exception ex) when (held.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // However the given-up round ended: a cancelled publish, or an error on its way out
            // (the cursor's update meeting the database that lost the lease). Let through, it
            // would stop the host.
            if (ex is not OperationCanceledException)
            {
                LogRoundGivenUp(ex);
            }
        }
        finally
        {
            await held.CancelAsync();
            await renewing;
        }
    }

    private async Task RenewLeaseAsync(CancellationTokenSource held)
    {
        try
        {
            while (await HoldLeaseAsync(held.Token))
            {
                await Task.Delay(_options.LeaseDuration / 3, _clock, held.Token);
                await ObserveLagAsync(held.Token); // a round waiting on the broker does not
            }
            await held.CancelAsync();
        }
        catch (Exception) when (held.IsCancellationRequested)
        {
            // Stopping, or the round given up: a lease call cut short may fail as well as cancel.
        }
    }

    /// <summary>Whether this replica holds the relay's lease, taking or renewing it when due.</summary>
    private async Task<bool> HoldLeaseAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        if (_renewAt > now)
        {
            return true;
        }
        var held = false;
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            held = await RelayLease.TryHoldAsync(scope.ServiceProvider.GetRequiredService<BoardsDbContext>(), _holder, now, _options.LeaseDuration, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogLeaseFailed(ex);
        }
        if (held != _renewAt.HasValue)
        {
            LogLease(held ? "holds" : "stands by; another replica holds", _holder);
        }
        _renewAt = held ? now + _options.LeaseDuration / 3 : null;
        return held;
    }

    private async Task ReleaseLeaseAsync()
    {
        if (_renewAt is null)
        {
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var scope = _scopes.CreateAsyncScope();
            await RelayLease.ReleaseAsync(scope.ServiceProvider.GetRequiredService<BoardsDbContext>(), _holder, timeout.Token);
        }
        catch (Exception ex)
        {
            LogLeaseFailed(ex); // it runs out by itself
        }
    }

    private async ValueTask<int> PublishBatchAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
        var batch = WithinPayloadLimit(await UnpublishedAsync(db, _options.BatchSize, ct));
        if (batch.Count == 0)
        {
            return 0;
        }

        // The publish continues the trace of the request that wrote the batch's first row, and
        // links the traces of the others.
        ActivityContext.TryParse(batch[0].TraceParent, null, out var parent);
        var links = batch.Skip(1)
            .Select(m => ActivityContext.TryParse(m.TraceParent, null, out var context) ? new ActivityLink(context) : default)
            .Where(link => link.Context != default);
        using (var activity = Telemetry.Source.StartActivity("outbox publish", ActivityKind.Producer, parent, links: links))
        {
            activity?.SetTag("polyglot.positions", $"{batch[0].Position}-{batch[^1].Position}");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.PublishTimeout);
            await _destination.DeliverAsync(batch, timeout.Token);
        }
        // Forward only: a relay that overlapped another (a lease it outlived) never moves it back.
        var confirmed = batch[^1].Position;
        await db.OutboxCursors
            .Where(c => c.Name == OutboxCursor.Published && c.Position < confirmed)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, confirmed), CancellationToken.None);
        LogPublished(batch.Count, confirmed);
        return batch.Count;
    }

    /// <summary>
    /// The lag on the dashboard every third of the lease, whether this replica relays (a round
    /// waiting out an outage records none) or stands by (not frozen at what it was when it last relayed).
    /// </summary>
    private async Task ObserveLagAsync(CancellationToken ct)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            await UnpublishedAsync(scope.ServiceProvider.GetRequiredService<BoardsDbContext>(), 1, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogLagFailed(ex);
        }
    }

    private static List<OutboxMessage> WithinPayloadLimit(List<OutboxMessage> rows)
    {
        var (count, bytes) = (0, 0L);
        while (count < rows.Count && (count == 0 || bytes + rows[count].Payload.Length <= MaxBatchPayloadBytes))
        {
            bytes += rows[count++].Payload.Length;
        }
        return rows[..count];
    }

    /// <summary>The first <paramref name="count"/> rows after the published cursor, in order; the lag they make goes to the dashboard.</summary>
    private async Task<List<OutboxMessage>> UnpublishedAsync(BoardsDbContext db, int count, CancellationToken ct)
    {
        var published = await Cursor(db, OutboxCursor.Published).SingleAsync(ct);
        var rows = await db.Outbox.AsNoTracking()
            .Where(m => m.Position > published)
            .OrderBy(m => m.Position)
            .Take(count)
            .ToListAsync(ct);
        _metrics.Observe(await Cursor(db, OutboxCursor.Written).SingleAsync(ct) - published, rows.FirstOrDefault()?.OccurredAt);
        return rows;
    }

    private static IQueryable<long> Cursor(BoardsDbContext db, string name) =>
        db.OutboxCursors.Where(c => c.Name == name).Select(c => c.Position);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {Count} outbox rows up to position {Position}")]
    private partial void LogPublished(long count, long position);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox relay {State} the lease ({Holder})")]
    private partial void LogLease(string state, string holder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading or writing the outbox relay's lease failed")]
    private partial void LogLeaseFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the outbox lag failed")]
    private partial void LogLagFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox round in flight when the lease was lost failed; its rows are the lease holder's to publish")]
    private partial void LogRoundGivenUp(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox publish failed (attempt {Attempt}); retrying in {RetryDelay}")]
    private partial void LogPublishFailed(Exception? exception, int attempt, TimeSpan retryDelay);
}
