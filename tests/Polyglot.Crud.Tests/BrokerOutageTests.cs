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
        await using var crud = new ServiceHost<BoardsService>(CrudSettings(broker, new() { ["Outbox:PublishTimeout"] = "00:00:02" }));
        var boards = new Boards.BoardsClient(crud.CreateSignedInChannel());
        var queue = await BindQueueAsync(broker);

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
        // Still ready, as a readiness probe sees it: writes go on, the outbox keeps the events.
        using (var http = new HttpClient { BaseAddress = crud.HttpAddress })
        using (var health = await http.GetAsync(AppModelNames.HealthPath))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        await broker.StartAsync();
        await WaitUntilPublishedAsync(crud);
        await Wait.UntilAsync(() => Task.FromResult(Observe(unpublished) == 0 && Observe(oldestAge) == 0), TimeSpan.FromSeconds(30), "the outbox lag metrics to fall back to zero");

        Assert.Equal(4, written);
        Assert.Equal(1, publishedDuring);
        var positions = PositionsOf(await MessagesInAsync(broker, queue));
        // At least once: a batch that was sent but not confirmed before the stop may come twice.
        Assert.Equal([1L, 2L, 3L, 4L], positions.Distinct());
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public async Task ThroughAnOutageLongerThanTheLeaseOneReplicaKeepsRelayingEachEventOnceAndEveryReplicaShowsTheLag()
    {
        var lease = TimeSpan.FromSeconds(1);
        await using var broker = await LocalServer.StartRabbitMQAsync();
        // Two replicas on one database; the default publish timeout (30 s), so a round waits out the outage.
        var settings = CrudSettings(broker, new() { ["Outbox:LeaseDuration"] = lease.ToString() });
        await using var first = new ServiceHost<BoardsService>(settings);
        await using var second = new ServiceHost<BoardsService>(settings);
        var queue = await BindQueueAsync(broker);
        var boards = new Boards.BoardsClient(first.CreateSignedInChannel());
        await boards.CreateBoardAsync(new CreateBoardRequest { Name = "Before" });
        await WaitUntilPublishedAsync(first);
        var holder = await LeaseHolderAsync(first);
        Assert.NotNull(holder);
        using var lagOnFirst = new MetricCollector<long>(first.Services.GetRequiredService<IMeterFactory>(), "Polyglot.Crud.Outbox", "polyglot.outbox.unpublished");
        using var lagOnSecond = new MetricCollector<long>(second.Services.GetRequiredService<IMeterFactory>(), "Polyglot.Crud.Outbox", "polyglot.outbox.unpublished");

        await broker.StopAsync();
        for (var i = 0; i < 3; i++)
        {
            await boards.CreateBoardAsync(new CreateBoardRequest { Name = $"During {i}" });
        }
        // Both dashboards show the three waiting, the relay's and the other's.
        await Wait.UntilAsync(() => Task.FromResult(Observe(lagOnFirst) == 3 && Observe(lagOnSecond) == 3), TimeSpan.FromSeconds(30), "both replicas to show the outbox lag");
        // An outage of several leases: the holder renews its lease all along, while its round waits for the broker.
        var outageEnds = DateTime.UtcNow + 4 * lease;
        while (DateTime.UtcNow < outageEnds)
        {
            Assert.Equal(holder, await LeaseHolderAsync(first));
            await Task.Delay(100);
        }
        await broker.StartAsync();
        await WaitUntilPublishedAsync(first);
        await Wait.UntilAsync(() => Task.FromResult(Observe(lagOnFirst) == 0 && Observe(lagOnSecond) == 0), TimeSpan.FromSeconds(30), "both replicas' lag to fall back to zero");

        // One relay published them: each once (two would have sent the waiting batch twice).
        Assert.Equal([1L, 2L, 3L, 4L], PositionsOf(await MessagesInAsync(broker, queue)));
    }

    /// <summary>crud on a SQLite file of its own and <paramref name="broker"/>, retrying a failed publish within a second; <paramref name="test"/>'s settings on top.</summary>
    private static Dictionary<string, string?> CrudSettings(LocalServer broker, Dictionary<string, string?> test)
    {
        var settings = new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            ["ConnectionStrings:bus"] = broker.ConnectionString,
            ["Outbox:RetryDelay"] = "00:00:00.200",
            ["Outbox:MaxRetryDelay"] = "00:00:01",
        };
        foreach (var (name, value) in test)
        {
            settings[name] = value;
        }
        return settings;
    }

    /// <summary>A queue of the test's own bound to the events exchange, declared as MassTransit declares it on its first publish: a durable fan-out exchange.</summary>
    private static async Task<string> BindQueueAsync(LocalServer broker)
    {
        var queue = $"outage-test-{Guid.NewGuid():N}";
        await using var setup = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync();
        await using var channel = await setup.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(IntegrationEventBatch.ExchangeName, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, IntegrationEventBatch.ExchangeName, "");
        return queue;
    }

    [Fact]
    public async Task ABacklogOfLargeEventsGoesOutInBatchesOfAtMostAMebibyteOfPayloadWhateverTheBatchSize()
    {
        await using var broker = await LocalServer.StartRabbitMQAsync();
        await using var crud = new ServiceHost<BoardsService>(CrudSettings(broker, new() { ["Outbox:BatchSize"] = "10000", ["Outbox:PublishTimeout"] = "00:00:02" }));
        using var channel = crud.CreateSignedInChannel();
        var queue = await BindQueueAsync(broker);
        var board = await new Boards.BoardsClient(channel).CreateBoardAsync(new CreateBoardRequest { Name = "Large cards" });
        var column = await new Columns.ColumnsClient(channel).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        await WaitUntilPublishedAsync(crud);

        // A backlog, as after an outage: cards with the longest description, 6,000 bytes in UTF-8 each.
        await broker.StopAsync();
        var cards = new Cards.CardsClient(channel);
        for (var i = 0; i < 200; i++)
        {
            await cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = $"Card {i}", Description = new string('漢', 2000) });
        }
        await broker.StartAsync();
        await WaitUntilPublishedAsync(crud);

        var messages = await MessagesInAsync(broker, queue);
        Assert.True(messages.Sum(m => m.Sum(e => e.PayloadBytes)) > 1 << 20, "The backlog fits in one batch: it tests nothing.");
        Assert.All(messages, m => Assert.True(m.Sum(e => e.PayloadBytes) <= 1 << 20, $"A batch of {m.Count} events carried {m.Sum(e => e.PayloadBytes):N0} bytes of payload."));
        Assert.Equal(Enumerable.Range(1, 202).Select(p => (long)p), PositionsOf(messages).Distinct());
    }

    /// <summary>The queue's messages, in the order they came: each one's events, by position and payload size.</summary>
    private static async Task<List<List<(long Position, int PayloadBytes)>>> MessagesInAsync(LocalServer broker, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync();
        await using var reader = await connection.CreateChannelAsync();
        var messages = new List<List<(long, int)>>();
        while (await reader.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            var events = System.Text.Json.JsonDocument.Parse(message.Body).RootElement.GetProperty("message").GetProperty("events");
            messages.Add([.. events.EnumerateArray().Select(e => (e.GetProperty("position").GetInt64(), e.GetProperty("payload").GetBytesFromBase64().Length))]);
        }
        return messages;
    }

    /// <summary>Every position in the messages, in the order they came, duplicates included.</summary>
    private static List<long> PositionsOf(List<List<(long Position, int PayloadBytes)>> messages) => [.. messages.SelectMany(m => m.Select(e => e.Position))];

    private static async Task<string?> LeaseHolderAsync(ServiceHost<BoardsService> crud)
    {
        await using var scope = crud.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<BoardsDbContext>().RelayLeases.AsNoTracking().Select(l => l.Holder).SingleAsync();
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
