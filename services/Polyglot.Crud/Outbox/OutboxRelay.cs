using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Polyglot.Contracts.Events;
using Polyglot.Crud.Data;

namespace Polyglot.Crud.Outbox;

/// <summary>
/// Publishes committed outbox rows to the bus in position order, one at a time, each waiting
/// for RabbitMQ's publisher confirm, then advances the <see cref="OutboxCursor.Published"/>
/// cursor past what was confirmed. A crash between a confirm and the cursor update re-sends
/// that row: the bus is at-least-once and consumers drop positions they have seen.
/// </summary>
/// <remarks>Each publish continues the trace of the request that wrote the row.</remarks>
public sealed partial class OutboxRelay(
    IServiceScopeFactory scopes,
    IBus bus,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await PublishBatchAsync(settings.BatchSize, stoppingToken) == 0)
                {
                    await signal.WaitAsync(settings.PollInterval, stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPublishFailed(ex, settings.RetryDelay);
                await Task.Delay(settings.RetryDelay, stoppingToken);
            }
        }
    }

    private async Task<int> PublishBatchAsync(int batchSize, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
        var published = await db.OutboxCursors
            .Where(c => c.Name == OutboxCursor.Published)
            .Select(c => c.Position)
            .SingleAsync(ct);
        var batch = await db.Outbox.AsNoTracking()
            .Where(m => m.Position > published)
            .OrderBy(m => m.Position)
            .Take(batchSize)
            .ToListAsync(ct);

        var confirmed = published;
        try
        {
            foreach (var message in batch)
            {
                ActivityContext.TryParse(message.TraceParent, null, out var parent);
                using var activity = Telemetry.Source.StartActivity("outbox publish", ActivityKind.Internal, parent);
                activity?.SetTag("polyglot.position", message.Position);
                await bus.Publish(
                    new IntegrationEventEnvelope(message.Position, message.EventId, message.BoardId, message.Type, message.OccurredAt, message.Payload),
                    ct);
                confirmed = message.Position;
            }
        }
        finally
        {
            if (confirmed > published)
            {
                await db.OutboxCursors
                    .Where(c => c.Name == OutboxCursor.Published)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, confirmed), CancellationToken.None);
                LogPublished(confirmed - published, confirmed);
            }
        }
        return batch.Count;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {Count} outbox rows up to position {Position}")]
    private partial void LogPublished(long count, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox publish failed; retrying in {RetryDelay}")]
    private partial void LogPublishFailed(Exception exception, TimeSpan retryDelay);
}
