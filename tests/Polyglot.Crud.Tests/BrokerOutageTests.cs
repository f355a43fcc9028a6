using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Polyglot.Contracts.Events;
using Polyglot.Crud.Data;
using RabbitMQ.Client;

namespace Polyglot.Crud.Tests;

/// <summary>
/// RabbitMQ goes away and comes back (a real stop and start of a node of this test's own):
/// crud keeps committing, the relay keeps retrying with backoff, and once the broker is back
/// every committed event reaches a queue bound to the exchange, in position order.
/// </summary>
public sealed class BrokerOutageTests
{
    [Fact]
    public async Task EventsCommittedWhileTheBrokerIsDownArePublishedWhenItReturns()
    {
        await using var broker = await LocalServer.StartRabbitMQAsync();
        await using var crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            ["ConnectionStrings:bus"] = broker.ConnectionString,
            ["Outbox:PublishTimeout"] = "00:00:02",
            ["Outbox:RetryDelay"] = "00:00:00.200",
            ["Outbox:MaxRetryDelay"] = "00:00:02",
        });
        var boards = new Boards.BoardsClient(crud.CreateSignedInChannel());
        var queue = $"outage-test-{Guid.NewGuid():N}";
        await using (var setup = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync())
        await using (var channel = await setup.CreateChannelAsync())
        {
            // Declared as MassTransit declares it on its first publish: a durable fan-out exchange.
            await channel.ExchangeDeclareAsync(IntegrationEventBatch.ExchangeName, ExchangeType.Fanout, durable: true);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(queue, IntegrationEventBatch.ExchangeName, "");
        }

        await boards.CreateBoardAsync(new CreateBoardRequest { Name = "Before" });
        await WaitUntilPublishedAsync(crud);
        var meters = crud.Services.GetRequiredService<IMeterFactory>();
        using var unpublished = new MetricCollector<long>(meters, "Polyglot.Crud.Outbox", "polyglot.outbox.unpublished");
        using var oldestAge = new MetricCollector<double>(meters, "Polyglot.Crud.Outbox", "polyglot.outbox.oldest_unpublished_age");
        await broker.StopAsync();
        for (var i = 0; i < 3; i++)
        {
            await boards.CreateBoardAsync(new CreateBoardRequest { Name = $"During {i}" });
        }
        var (written, publishedDuring) = await CursorsAsync(crud);
        // The lag shows on the dashboard while the relay retries: three events waiting, the oldest aging.
        await Wait.UntilAsync(() => Task.FromResult(Observe(unpublished) == 3 && Observe(oldestAge) > 0), TimeSpan.FromSeconds(30), "the outbox lag metrics to show the waiting events");
        await broker.StartAsync();
        await WaitUntilPublishedAsync(crud);
        await Wait.UntilAsync(() => Task.FromResult(Observe(unpublished) == 0 && Observe(oldestAge) == 0), TimeSpan.FromSeconds(30), "the outbox lag metrics to fall back to zero");

        Assert.Equal(4, written);
        Assert.Equal(1, publishedDuring);
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync();
        await using var reader = await connection.CreateChannelAsync();
        var positions = new List<long>();
        while (await reader.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            var events = System.Text.Json.JsonDocument.Parse(message.Body).RootElement.GetProperty("message").GetProperty("events");
            positions.AddRange(events.EnumerateArray().Select(e => e.GetProperty("position").GetInt64()));
        }
        // At least once: a batch that was sent but not confirmed before the stop may come twice.
        Assert.Equal([1L, 2L, 3L, 4L], positions.Distinct());
        Assert.Equal(positions.Order(), positions);
    }

    private static T? Observe<T>(MetricCollector<T> gauge) where T : struct
    {
        gauge.RecordObservableInstruments();
        return gauge.LastMeasurement?.Value;
    }

    private static async Task WaitUntilPublishedAsync(ServiceHost<BoardsService> crud) =>
        await Wait.UntilAsync(async () => (await CursorsAsync(crud)) is var (written, published) && written == published,
            TimeSpan.FromSeconds(60), "the relay to publish every committed event");

    private static async Task<(long Written, long Published)> CursorsAsync(ServiceHost<BoardsService> crud)
    {
        await using var scope = crud.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BoardsDbContext>();
        var cursors = await db.OutboxCursors.ToDictionaryAsync(c => c.Name, c => c.Position);
        return (cursors[OutboxCursor.Written], cursors[OutboxCursor.Published]);
    }
}
