using System.Diagnostics;
using System.Runtime.ExceptionServices;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polyglot.Contracts.Events;
using Polyglot.Crud.Data;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// Publishes committed outbox rows to the bus in position order, a batch at a time: every row
/// of the batch in flight at once (RabbitMQ confirms a batch after one disk write instead of one
/// per row), then the <see cref="OutboxCursor.Published"/> cursor moves over the rows confirmed
/// without a gap. A failed or unconfirmed row is sent again in the next round; a crash between a
/// confirm and the cursor update re-sends too: the bus is at-least-once, and consumers drop
/// positions they have seen and fill gaps from the event log. While RabbitMQ is down, rounds are
/// retried with exponential backoff for as long as it takes.
/// </summary>
/// <remarks>Each publish continues the trace of the request that wrote the row.</remarks>
public sealed partial class OutboxRelay : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly IBus _bus;
    private readonly OutboxSignal _signal;
    private readonly OutboxMetrics _metrics;
    private readonly OutboxOptions _options;
    private readonly ILogger<OutboxRelay> _logger;
    private readonly ResiliencePipeline _retry;

    public OutboxRelay(IServiceScopeFactory scopes, IBus bus, OutboxSignal signal, OutboxMetrics metrics, IOptions<OutboxOptions> options, ILogger<OutboxRelay> logger)
    {
        (_scopes, _bus, _signal, _metrics, _options, _logger) = (scopes, bus, signal, metrics, options.Value, logger);
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
        while (!stoppingToken.IsCancellationRequested)
        {
            var sent = await _retry.ExecuteAsync(PublishBatchAsync, stoppingToken);
            if (sent == 0)
            {
                await _signal.WaitAsync(_options.PollInterval, stoppingToken);
            }
        }
    }

    private async ValueTask<int> PublishBatchAsync(CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
        var published = await Cursor(db, OutboxCursor.Published).SingleAsync(ct);
        var batch = await db.Outbox.AsNoTracking()
            .Where(m => m.Position > published)
            .OrderBy(m => m.Position)
            .Take(_options.BatchSize)
            .ToListAsync(ct);
        _metrics.Observe(await Cursor(db, OutboxCursor.Written).SingleAsync(ct) - published, batch.FirstOrDefault()?.OccurredAt);
        if (batch.Count == 0)
        {
            return 0;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.PublishTimeout);
        var confirms = batch.Select(message =>
        {
            ActivityContext.TryParse(message.TraceParent, null, out var parent);
            using var activity = Telemetry.Source.StartActivity("outbox publish", ActivityKind.Producer, parent);
            activity?.SetTag("polyglot.position", message.Position);
            return (message.Position, Confirm: _bus.Publish(
                new IntegrationEventEnvelope(message.Position, message.EventId, message.BoardId, message.Type, message.OccurredAt, message.Payload),
                timeout.Token));
        }).ToList();

        // The cursor moves over the confirmed rows up to the first that is not.
        var confirmed = published;
        ExceptionDispatchInfo? failure = null;
        foreach (var (position, confirm) in confirms)
        {
            try
            {
                await confirm;
                if (failure is null)
                {
                    confirmed = position;
                }
            }
            catch (Exception ex)
            {
                failure ??= ExceptionDispatchInfo.Capture(ex);
            }
        }
        if (confirmed > published)
        {
            await db.OutboxCursors
                .Where(c => c.Name == OutboxCursor.Published)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, confirmed), CancellationToken.None);
            LogPublished(confirmed - published, confirmed);
        }
        failure?.Throw();
        return batch.Count;
    }

    private static IQueryable<long> Cursor(BoardsDbContext db, string name) =>
        db.OutboxCursors.Where(c => c.Name == name).Select(c => c.Position);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {Count} outbox rows up to position {Position}")]
    private partial void LogPublished(long count, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox publish failed (attempt {Attempt}); retrying in {RetryDelay}")]
    private partial void LogPublishFailed(Exception? exception, int attempt, TimeSpan retryDelay);
}
