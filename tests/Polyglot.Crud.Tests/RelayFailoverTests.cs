using Npgsql;
using Polyglot.Contracts.Events;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Polyglot.Crud.Tests;

/// <summary>
/// Two crud replicas as processes of their own on one PostgreSQL database and one RabbitMQ: one
/// relay publishes at a time; when its replica is SIGKILLed the other takes over; and the published
/// cursor, sampled all along, never moves back.
/// </summary>
public sealed class RelayFailoverTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task OneReplicaRelaysAtATimeTheOtherTakesOverWhenItIsKilledAndTheCursorNeverMovesBack()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromMinutes(3));
        var database = await LocalServer.NewPostgresDatabaseAsync();
        await using var broker = await LocalServer.StartRabbitMQAsync();
        await using var published = await PublishedPositions.ListenAsync(broker.ConnectionString, timeout.Token);
        var settings = new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            ["Database__Provider"] = nameof(DatabaseProvider.Postgres),
            ["ConnectionStrings__db"] = database,
            ["ConnectionStrings__bus"] = broker.ConnectionString,
            ["Outbox__LeaseDuration"] = Lease.ToString(),
            ["Outbox__PollInterval"] = "00:00:00.100",
        };
        await using var first = new ServiceProcess("Polyglot.Crud", settings);
        await first.StartAsync(); // migrates the database before the second one starts
        await using var second = new ServiceProcess("Polyglot.Crud", settings);
        await second.StartAsync();
        await using var cursor = CursorSamples.Start(database);

        await CreateBoardsAsync([first, second], 30, timeout.Token);
        var written = await ScalarAsync(database, """SELECT "Position" FROM "OutboxCursors" WHERE "Name" = 'written'""");
        await Wait.UntilAsync(() => Task.FromResult(published.Distinct().Count() == written), TimeSpan.FromSeconds(30), "every event published once");
        Assert.Equal(written, published.All.Count); // two relays would have published every batch twice

        var holder = (string)(await QueryAsync(database, $"""SELECT "Holder" FROM "RelayLeases" WHERE "Name" = '{RelayLease.Relay}'"""))!;
        var (killed, survivor) = holder.Contains($"/{first.ProcessId}/", StringComparison.Ordinal) ? (first, second) : (second, first);
        Assert.Contains($"/{killed.ProcessId}/", holder);
        var cursorAtKill = await ScalarAsync(database, """SELECT "Position" FROM "OutboxCursors" WHERE "Name" = 'published'""");
        await killed.KillAsync();
        await CreateBoardsAsync([survivor], 30, timeout.Token);
        written = await ScalarAsync(database, """SELECT "Position" FROM "OutboxCursors" WHERE "Name" = 'written'""");

        await Wait.UntilAsync(() => Task.FromResult(published.Distinct().Count() == written), Lease * 5, "the survivor to take the lease over and publish the rest");
        Assert.Equal(Enumerable.Range(1, (int)written).Select(p => (long)p), published.Distinct().Order());
        // At least once across the hand-over: only what the killed relay had not confirmed may come twice.
        Assert.All(published.All.GroupBy(p => p).Where(g => g.Count() > 1), g => Assert.True(g.Key > cursorAtKill, $"position {g.Key} published twice"));
        await Wait.UntilAsync(async () => await ScalarAsync(database, """SELECT "Position" FROM "OutboxCursors" WHERE "Name" = 'published'""") == written,
            TimeSpan.FromSeconds(10), "the cursor to reach the last event");
        var samples = await cursor.StopAsync();
        Assert.True(samples.Count > 10, "The cursor was hardly sampled.");
        Assert.Equal(samples.Order(), samples);
        Assert.Equal(written, samples[^1]);
    }

    private static async Task CreateBoardsAsync(ServiceProcess[] replicas, int count, CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            using var channel = LocalAuth.Shared.CrudChannel(replicas[i % replicas.Length]);
            await new Boards.BoardsClient(channel).CreateBoardAsync(new CreateBoardRequest { Name = $"board {i}" }, cancellationToken: ct);
        }
    }

    private static async Task<long> ScalarAsync(string database, string sql) => Convert.ToInt64(await QueryAsync(database, sql));

    private static async Task<object?> QueryAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Every position published to the events exchange, duplicates included, from a queue of the test's own.</summary>
    private sealed class PublishedPositions : IAsyncDisposable
    {
        private readonly List<long> _positions = [];
        private IConnection _connection = null!;
        private IChannel _channel = null!;

        public List<long> All
        {
            get { lock (_positions) { return [.. _positions]; } }
        }

        public IEnumerable<long> Distinct() => All.Distinct();

        public static async Task<PublishedPositions> ListenAsync(string bus, CancellationToken ct)
        {
            var listener = new PublishedPositions();
            listener._connection = await new ConnectionFactory { Uri = new Uri(bus) }.CreateConnectionAsync(ct);
            listener._channel = await listener._connection.CreateChannelAsync(cancellationToken: ct);
            // Declared as MassTransit declares it on its first publish: a durable fan-out exchange.
            await listener._channel.ExchangeDeclareAsync(IntegrationEventBatch.ExchangeName, ExchangeType.Fanout, durable: true, cancellationToken: ct);
            var queue = (await listener._channel.QueueDeclareAsync(cancellationToken: ct)).QueueName;
            await listener._channel.QueueBindAsync(queue, IntegrationEventBatch.ExchangeName, "", cancellationToken: ct);
            var consumer = new AsyncEventingBasicConsumer(listener._channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                var events = JsonDocument.Parse(delivery.Body).RootElement.GetProperty("message").GetProperty("events");
                lock (listener._positions)
                {
                    listener._positions.AddRange(events.EnumerateArray().Select(e => e.GetProperty("position").GetInt64()));
                }
                return Task.CompletedTask;
            };
            await listener._channel.BasicConsumeAsync(queue, autoAck: true, consumer, ct);
            return listener;
        }

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    /// <summary>The published cursor read every 20 ms, straight from the database.</summary>
    private sealed class CursorSamples : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<long> _samples = [];
        private Task _sampling = Task.CompletedTask;

        public static CursorSamples Start(string database)
        {
            var samples = new CursorSamples();
            samples._sampling = Task.Run(async () =>
            {
                while (true)
                {
                    // One more sample once stopped, so the last is read after the stop (a busy
                    // thread pool can hold this loop back for seconds).
                    var stopping = samples._stop.IsCancellationRequested;
                    samples._samples.Add(await ScalarAsync(database, """SELECT "Position" FROM "OutboxCursors" WHERE "Name" = 'published'"""));
                    if (stopping)
                    {
                        return;
                    }
                    await Task.Delay(20);
                }
            });
            return samples;
        }

        public async Task<List<long>> StopAsync()
        {
            await _stop.CancelAsync();
            await _sampling;
            return _samples;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sampling;
            _stop.Dispose();
        }
    }
}
