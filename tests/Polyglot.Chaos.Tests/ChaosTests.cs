using System.Globalization;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Settings;
using Polyglot.LocalServers;

namespace Polyglot.Chaos.Tests;

/// <summary>
/// The chaos suite: crud, realtime, RabbitMQ (and PostgreSQL) as real processes of their own; a
/// steady load of creates, updates, moves and deletes; resuming subscribers — one of which also
/// drops and resumes its own stream every second or two, from realtime's history — and, at random
/// moments, SIGKILLs and restarts of every part, some overlapping. Each fault must be seen to bite
/// (writes fail while crud is down, the relay retries while the broker is, subscribers reconnect
/// when realtime dies), and live delivery must resume within 2 s of the broker being back. Afterwards every subscriber must hold exactly what the database committed
/// for its channel: each event once, in order, nothing uncommitted. The run prints its counts, the
/// seconds each fault took to recover, and its seed. CHAOS_SEED replays a run; CHAOS_FAULTS=N
/// and CHAOS_MINUTES=M make it a soak (N random faults, or as many as fit in M minutes), and
/// CHAOS_KINDS=KillBroker,RestartBroker narrows it to those kinds of fault.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task EveryCommittedChangeReachesResumedSubscribersExactlyOnceInOrderThroughEveryFault(DatabaseProvider provider)
    {
        var seed = Environment.GetEnvironmentVariable("CHAOS_SEED") is { } given ? int.Parse(given, CultureInfo.InvariantCulture) : Random.Shared.Next();
        var random = new Random(seed);
        output.WriteLine($"{provider}: seed {seed} (CHAOS_SEED={seed} replays this run)");

        await using var system = await ChaosSystem.StartAsync(provider);
        var boards = new List<(string Board, string[] Columns)>();
        for (var i = 0; i < 3; i++)
        {
            var board = await system.CallCrudAsync(c => new Boards.BoardsClient(c).CreateBoardAsync(new CreateBoardRequest { Name = $"Chaos {i}" }).ResponseAsync);
            string[] columns = [
                (await system.CallCrudAsync(c => new Columns.ColumnsClient(c).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" }).ResponseAsync)).Id,
                (await system.CallCrudAsync(c => new Columns.ColumnsClient(c).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "Done" }).ResponseAsync)).Id];
            boards.Add((board.Id, columns));
        }

        using var stop = new CancellationTokenSource();
        var subscribers = new[] { "all" }.Concat(boards.Select(b => $"board:{b.Board}"))
            .Select(channel => new ResumingSubscriber(channel, system.Realtime.GrpcAddress, system.Crud.HttpAddress))
            .Append(new ResumingSubscriber("all", system.Realtime.GrpcAddress, system.Crud.HttpAddress) { ResumeEvery = TimeSpan.FromMilliseconds(random.Next(1000, 2000)) })
            .ToList();
        var listening = subscribers.Select(s => Task.Run(() => s.RunAsync(stop.Token))).ToList();
        using var writerStop = new CancellationTokenSource();
        var writer = new ChaosWriter(system.Crud, boards, new Random(random.Next()));
        var writing = Task.Run(() => writer.RunAsync(writerStop.Token));

        var runs = new List<FaultRun>();
        foreach (var fault in Schedule(provider, random))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2000, 4000))); // let load and streams run
            var before = (Reconnects: subscribers.Select(s => s.Reconnects).ToList(), CrudLog: system.Crud.Output.Length, Firehose: subscribers[0].Last);
            var run = await InjectAsync(system, fault, TimeSpan.FromMilliseconds(random.Next(300, 2500)));
            runs.Add(run);
            await ProveItBitAsync(system, run, before, writer, subscribers);
            output.WriteLine($"{run.Started:HH:mm:ss.fff} {fault}, down {run.DownFor.TotalSeconds:0.0} s; live delivery {(run.DeliveryResumedAfter is { } after ? $"resumed {after.TotalSeconds:0.0} s after it was back" : "not seen again")}");
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        await writerStop.CancelAsync();
        await writing;

        var committed = await system.CommittedAsync();
        var expected = subscribers.Select(s => s.Channel).Distinct().ToDictionary(channel => channel, channel => committed
            .Where(e => channel == "all" || channel == $"board:{e.BoardId}")
            .Select(e => (e.Position, e.EventId))
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
            duplicated += received.Count - received.Distinct().Count();
            uncommitted += received.Except(want).Count();
            outOfOrder += received.Zip(received.Skip(1)).Count(pair => pair.First.Position >= pair.Second.Position);
            output.WriteLine($"{subscriber.Channel}: {received.Count} received, {want.Count} committed, {subscriber.Reconnects} reconnects, {subscriber.Resumes} resumes of its own{(subscriber.HistoryLost is { } why ? $", history lost: {why}" : "")}");
        }
        var kinds = committed.GroupBy(e => e.PayloadCase).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{provider}: {runs.Count} faults; writes attempted {writer.Attempted}; events committed {committed.Count} ({string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}"))}); lost {lost}; duplicated {duplicated}; not committed but delivered {uncommitted}; out of order {outOfOrder}");

        Assert.All(subscribers, s => Assert.Null(s.HistoryLost));
        Assert.True(committed.Count > 50, $"Only {committed.Count} events committed: the load did not run.");
        Assert.All(new[] { IntegrationEvent.PayloadOneofCase.CardUpdated, IntegrationEvent.PayloadOneofCase.CardMoved, IntegrationEvent.PayloadOneofCase.CardDeleted },
            kind => Assert.True(kinds.GetValueOrDefault(kind) > 0, $"No {kind} committed: the load was not mixed."));
        Assert.True(subscribers[^1].Resumes > 3, "The resuming subscriber hardly resumed from realtime's history.");
        Assert.Equal((0L, 0L, 0L, 0L), (lost, duplicated, uncommitted, outOfOrder));
    }

    /// <summary>Each kind of fault once (PostgreSQL's only for its runs, CHAOS_KINDS's only if set), shuffled; or, as a soak, CHAOS_FAULTS random ones or as many as CHAOS_MINUTES allow.</summary>
    private static IEnumerable<Fault> Schedule(DatabaseProvider provider, Random random)
    {
        var kinds = Enum.GetValues<Fault>()
            .Where(f => f != Fault.KillDatabase || provider == DatabaseProvider.Postgres)
            .Where(f => Environment.GetEnvironmentVariable("CHAOS_KINDS") is not { } only || only.Split(',').Contains(f.ToString()))
            .ToArray();
        if (Environment.GetEnvironmentVariable("CHAOS_FAULTS") is { } count)
        {
            return Enumerable.Range(0, int.Parse(count, CultureInfo.InvariantCulture)).Select(_ => kinds[random.Next(kinds.Length)]);
        }
        if (Environment.GetEnvironmentVariable("CHAOS_MINUTES") is { } minutes)
        {
            var until = DateTime.UtcNow.AddMinutes(double.Parse(minutes, CultureInfo.InvariantCulture));
            return Endless().TakeWhile(_ => DateTime.UtcNow < until);
        }
        var faults = kinds.ToArray();
        random.Shuffle(faults);
        return faults;

        IEnumerable<Fault> Endless()
        {
            while (true)
            {
                yield return kinds[random.Next(kinds.Length)];
            }
        }
    }

    private static async Task<FaultRun> InjectAsync(ChaosSystem system, Fault fault, TimeSpan downFor)
    {
        var started = DateTime.UtcNow;
        switch (fault)
        {
            case Fault.KillCrud:
                await DownAsync(system.Crud.KillAsync, system.Crud.StartAsync);
                break;
            case Fault.KillRealtime:
                await DownAsync(system.Realtime.KillAsync, system.Realtime.StartAsync);
                break;
            case Fault.RestartBroker:
                await DownAsync(system.Broker.StopAsync, system.Broker.StartAsync);
                break;
            case Fault.KillBroker:
                await DownAsync(system.Broker.KillAsync, system.Broker.StartAsync);
                break;
            case Fault.KillDatabase:
                await DownAsync(system.Database!.KillAsync, system.Database!.StartAsync);
                break;
            case Fault.BrokerDownAndCrudKilled:
                await system.Broker.StopAsync();
                await Task.Delay(downFor / 2);
                await system.Crud.KillAsync();
                await Task.Delay(downFor / 2);
                // crud comes back first, to a broker still down: its new relay must meet that and retry.
                var log = system.Crud.Output.Length;
                await system.Crud.StartAsync();
                await Wait.UntilAsync(() => Task.FromResult(system.Crud.Output[log..].Contains("Outbox publish failed", StringComparison.Ordinal)),
                    TimeSpan.FromSeconds(30), "the restarted relay to meet the broker down");
                await system.Broker.StartAsync();
                break;
        }
        return new FaultRun(fault, started, DateTime.UtcNow, downFor);

        async Task DownAsync(Func<Task> stop, Func<Task> start)
        {
            await stop();
            await Task.Delay(downFor); // the outage itself, not a wait for anything
            await start();
        }
    }

    /// <summary>A fault that silently did nothing fails the run: each must be seen to have hit its target.</summary>
    private static async Task ProveItBitAsync(
        ChaosSystem system, FaultRun run, (List<int> Reconnects, int CrudLog, long Firehose) before, ChaosWriter writer, List<ResumingSubscriber> subscribers)
    {
        // Live delivery again: the firehose subscriber receives an event it did not have before the fault.
        var firehose = subscribers[0];
        var resumed = DateTime.MinValue;
        await Wait.UntilAsync(() =>
        {
            if (firehose.Last > before.Firehose && resumed == DateTime.MinValue)
            {
                resumed = DateTime.UtcNow;
            }
            return Task.FromResult(resumed != DateTime.MinValue);
        }, TimeSpan.FromSeconds(60), $"live delivery after {run.Fault}");
        run.DeliveryResumedAfter = resumed - run.Restored;

        switch (run.Fault)
        {
            case Fault.KillCrud or Fault.KillDatabase or Fault.BrokerDownAndCrudKilled:
                Assert.True(writer.FailedBetween(run.Started, run.Restored), $"{run.Fault}: no write failed while it was down.");
                break;
            case Fault.KillRealtime:
                Assert.All(subscribers.Select((s, i) => (s, i)), x => Assert.True(x.s.Reconnects > before.Reconnects[x.i], $"{x.s.Channel} did not reconnect after {run.Fault}."));
                break;
        }
        if (run.Fault is Fault.RestartBroker or Fault.KillBroker or Fault.BrokerDownAndCrudKilled)
        {
            // The bus reconnects about every second (BusDefaults) and the relay retries every half second at most (Outbox:MaxRetryDelay): events flow again within 2 s.
            Assert.True(run.DeliveryResumedAfter <= TimeSpan.FromSeconds(2),
                $"{run.Fault}: live delivery resumed {run.DeliveryResumedAfter?.TotalSeconds:0.0} s after the broker was back (bound: 2 s). " +
                $"The broker was back at {run.Restored:HH:mm:ss.fff}; crud's log since the fault:\n{system.Crud.Output[before.CrudLog..]}");
            // The relay met the broker down, and retried (its warning, logged at every failed round).
            await Wait.UntilAsync(() => Task.FromResult(system.Crud.Output[before.CrudLog..].Contains("Outbox publish failed", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), $"the relay's retry after {run.Fault}");
        }
    }
}
