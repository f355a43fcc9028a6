using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.EntityFrameworkCore;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Settings;
using Polyglot.Crud.Data;
using Polyglot.Crud.Outbox;
using Polyglot.LocalServers;
using Polyglot.Testing;

namespace Polyglot.Chaos.Tests;

/// <summary>
/// The chaos suite: crud and realtime as real processes on a RabbitMQ node of the test's own,
/// a steady write load with subscribers attached, and at random moments crud SIGKILLed,
/// realtime SIGKILLed, RabbitMQ stopped and restarted — twice each. Afterwards every subscriber
/// must hold exactly what the database committed for its channel: each event once, in order,
/// nothing that was not committed. The run prints its counts (and its seed, to replay it).
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private enum Fault { KillCrud, KillRealtime, RestartBroker }

    [Fact]
    public async Task EveryCommittedChangeReachesResumedSubscribersExactlyOnceInOrderThroughKillsAndBrokerRestarts()
    {
        var seed = Environment.GetEnvironmentVariable("CHAOS_SEED") is { } given ? int.Parse(given) : Random.Shared.Next();
        var random = new Random(seed);
        output.WriteLine($"seed {seed} (CHAOS_SEED={seed} replays this run)");

        await using var broker = await LocalServer.StartRabbitMQAsync();
        var database = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-chaos-{Guid.NewGuid():N}.db")}";
        await using var crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>
        {
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = database,
            ["ConnectionStrings__bus"] = broker.ConnectionString,
            ["Outbox__PublishTimeout"] = "00:00:03",
            ["Outbox__RetryDelay"] = "00:00:00.200",
            ["Outbox__MaxRetryDelay"] = "00:00:02",
        });
        await crud.StartAsync();
        await using var realtime = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>
        {
            ["ConnectionStrings__bus"] = broker.ConnectionString,
            ["Crud__Address"] = crud.GrpcAddress.ToString(),
        });
        await realtime.StartAsync();

        var columns = new List<(string Board, string Column)>();
        for (var i = 0; i < 3; i++)
        {
            var board = await Retry(c => new Boards.BoardsClient(c).CreateBoardAsync(new CreateBoardRequest { Name = $"Chaos {i}" }).ResponseAsync, crud);
            var column = await Retry(c => new Columns.ColumnsClient(c).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "Cards" }).ResponseAsync, crud);
            columns.Add((board.Id, column.Id));
        }

        using var stop = new CancellationTokenSource();
        var subscribers = new[] { "all" }.Concat(columns.Select(c => $"board:{c.Board}")).Select(channel => new ResumingSubscriber(channel, realtime.GrpcAddress)).ToList();
        var listening = subscribers.Select(s => s.RunAsync(stop.Token)).ToList();
        using var writerStop = new CancellationTokenSource();
        var attempted = 0;
        var writing = Task.Run(async () =>
        {
            for (var i = 0; !writerStop.IsCancellationRequested; i++)
            {
                var (_, column) = columns[i % columns.Count];
                try
                {
                    using var connection = GrpcChannel.ForAddress(crud.GrpcAddress);
                    await new Cards.CardsClient(connection).CreateCardAsync(new CreateCardRequest { ColumnId = column, Title = $"card {i}" }, deadline: DateTime.UtcNow.AddSeconds(5));
                }
                catch (RpcException)
                {
                    // crud is down or was killed mid-call: the database alone says what committed.
                }
                Interlocked.Increment(ref attempted);
                await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None); // ≈ 20 writes a second
            }
        });

        Fault[] faults = [Fault.KillCrud, Fault.KillRealtime, Fault.RestartBroker, Fault.KillCrud, Fault.KillRealtime, Fault.RestartBroker];
        random.Shuffle(faults);
        foreach (var fault in faults)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2000, 5000))); // let load and streams run
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {fault}");
            var downFor = TimeSpan.FromMilliseconds(random.Next(300, 2500));
            switch (fault)
            {
                case Fault.KillCrud:
                    await crud.KillAsync();
                    await Task.Delay(downFor);
                    await crud.StartAsync();
                    break;
                case Fault.KillRealtime:
                    await realtime.KillAsync();
                    await Task.Delay(downFor);
                    await realtime.StartAsync();
                    break;
                case Fault.RestartBroker:
                    await broker.StopAsync();
                    await Task.Delay(downFor);
                    await broker.StartAsync();
                    break;
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        await writerStop.CancelAsync();
        await writing;

        // The truth: what the database committed, per channel.
        var committed = await ReadOutboxAsync(database);
        var expected = subscribers.ToDictionary(s => s.Channel, s => committed
            .Where(e => s.Channel == "all" || s.Channel == $"board:{e.BoardId}")
            .Select(e => (e.Position, EventId: e.EventId.ToString()))
            .ToList());
        await Wait.UntilAsync(
            () => Task.FromResult(subscribers.All(s => s.HistoryLost is not null || s.Last >= expected[s.Channel][^1].Position)),
            TimeSpan.FromSeconds(120),
            "every subscriber to catch up with the database");
        await stop.CancelAsync();
        await Task.WhenAll(listening);

        long lost = 0, duplicated = 0, uncommitted = 0, outOfOrder = 0;
        foreach (var subscriber in subscribers)
        {
            var received = subscriber.Received.Select(e => (e.Position, e.EventId)).ToList();
            var want = expected[subscriber.Channel];
            lost += want.Except(received).Count();
            foreach (var missing in want.Except(received))
            {
                output.WriteLine($"{subscriber.Channel} lost position {missing.Position}; received around it: {string.Join(",", received.Select(r => r.Position).Where(p => Math.Abs(p - missing.Position) < 5))}");
            }
            duplicated += received.Count - received.Distinct().Count();
            uncommitted += received.Except(want).Count();
            outOfOrder += received.Zip(received.Skip(1)).Count(pair => pair.First.Position >= pair.Second.Position);
            output.WriteLine($"{subscriber.Channel}: {received.Count} received, {want.Count} committed, {subscriber.Reconnects} reconnects{(subscriber.HistoryLost is { } why ? $", history lost: {why}" : "")}");
        }
        output.WriteLine($"cases {faults.Length} faults (2 × crud SIGKILL, 2 × realtime SIGKILL, 2 × RabbitMQ restart); writes attempted {attempted}; events committed {committed.Count}; lost {lost}; duplicated {duplicated}; not committed but delivered {uncommitted}; out of order {outOfOrder}");

        Assert.All(subscribers, s => Assert.Null(s.HistoryLost));
        Assert.True(committed.Count > 50, $"Only {committed.Count} events committed: the load did not run.");
        Assert.Equal((0L, 0L, 0L, 0L), (lost, duplicated, uncommitted, outOfOrder));
    }

    private static async Task<T> Retry<T>(Func<GrpcChannel, Task<T>> call, ServiceProcess service)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connection = GrpcChannel.ForAddress(service.GrpcAddress);
                return await call(connection);
            }
            catch (RpcException) when (attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task<List<OutboxMessage>> ReadOutboxAsync(string connectionString)
    {
        await using var db = new SqliteBoardsDbContext(new DbContextOptionsBuilder<SqliteBoardsDbContext>().UseSqlite(connectionString).Options);
        return await db.Outbox.AsNoTracking().OrderBy(m => m.Position).ToListAsync();
    }
}
