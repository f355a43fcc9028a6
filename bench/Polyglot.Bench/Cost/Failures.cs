using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;

namespace Polyglot.Bench.Cost;

/// <summary>What one fault did to the clients: CRUD calls failed and the longest time without one succeeding, the subscriptions it cut, how long until every subscriber was live again, and what they lost or got twice.</summary>
public sealed record FaultOutcome(long FailedCrudCalls, double SecondsWithoutCrud, int SubscriptionsCut, double SecondsUntilAllResumed, long Lost, long Duplicated);

/// <summary>
/// Failure isolation, with resuming subscribers (the reference client) signed in as a board's
/// member — so every subscription, and every resubscription after a fault, asks who is on the
/// board: crud over gRPC in the split, its own tables in the monolith — a steady event stream
/// and a CRUD reader probing GetCard every 10 ms: (a) the streaming side SIGKILLed mid-load and
/// restarted at once, as a supervisor would — realtime in the split, the monolith itself in the
/// monolith; (b) crud restarted as a deploy would (SIGTERM, start).
/// </summary>
public static class Failures
{
    public static async Task<(FaultOutcome Kill, FaultOutcome Deploy)> MeasureAsync(
        TopologyUnderTest system, Workload workload, int subscribers, int rate, StatusContext status, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var resuming = Enumerable.Range(0, subscribers)
            .Select(i => new ResumingSubscriber(workload.Channels[i % workload.Channels.Length], system.Streaming.GrpcAddress, system.Crud.HttpAddress) { SignedInAs = LocalAuth.Member })
            .ToList();
        var listening = resuming.Select(s => Task.Run(() => s.RunAsync(stop.Token), CancellationToken.None)).ToList();
        var probe = new CrudProbe(system.Crud, workload.SampleCard.Id);
        var probing = probe.RunAsync(stop.Token);
        using var streamStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var streaming = workload.StreamEventsAsync(rate, streamStop.Token);

        status.Status($"{system.Topology}: {subscribers} resuming subscribers catching up");
        await Wait.UntilAsync(() => Task.FromResult(resuming.All(s => s.LiveSince is not null)), TimeSpan.FromSeconds(120), "every subscriber to be live");
        await Task.Delay(TimeSpan.FromSeconds(3), ct);

        status.Status($"{system.Topology}: SIGKILL of the streaming side ({(system.Realtime is null ? "crud" : "realtime")}), restarted at once");
        var kill = await FaultAsync(system, resuming, probe, async () =>
        {
            await system.Streaming.KillAsync();
            await TopologyUnderTest.StartHealthyAsync(system.Streaming);
        }, ct);

        status.Status($"{system.Topology}: crud restarted as a deploy would (SIGTERM, start)");
        var deploy = await FaultAsync(system, resuming, probe, async () =>
        {
            await system.Crud.TerminateAsync(TimeSpan.FromSeconds(30));
            await TopologyUnderTest.StartHealthyAsync(system.Crud);
        }, ct);

        status.Status($"{system.Topology}: checking every subscriber against crud's event log");
        await streamStop.CancelAsync();
        await streaming;
        var truth = await EventLogAsync(system.Crud, workload, ct);
        await Wait.UntilAsync(
            () => Task.FromResult(resuming.All(s => s.Last >= truth[s.Channel].LastOrDefault())),
            TimeSpan.FromSeconds(120), "every subscriber to catch up with crud's log");
        await stop.CancelAsync();
        await Task.WhenAll(listening.Append(probing));

        long lost = 0, duplicated = 0;
        foreach (var subscriber in resuming)
        {
            var received = subscriber.Received.Select(e => e.Position).ToList();
            lost += truth[subscriber.Channel].Except(received).Count();
            duplicated += received.Count - received.Distinct().Count();
        }
        // Lost and duplicated are over the whole run, both faults together.
        return (kill with { Lost = lost, Duplicated = duplicated }, deploy with { Lost = lost, Duplicated = duplicated });
    }

    private static async Task<FaultOutcome> FaultAsync(TopologyUnderTest system, List<ResumingSubscriber> resuming, CrudProbe probe, Func<Task> fault, CancellationToken ct)
    {
        var reconnectsBefore = resuming.Select(s => s.Reconnects).ToList();
        var failedBefore = probe.Failed;
        probe.ResetLongestGap();
        var at = DateTime.UtcNow;
        await fault();
        // Live again: every subscriber whose stream the fault cut has said `subscribed` since.
        await Wait.UntilAsync(
            () => Task.FromResult(resuming.Select((s, i) => s.Reconnects == reconnectsBefore[i] || s.LiveSince > at).All(live => live)),
            TimeSpan.FromSeconds(120), "every cut subscriber to be live again");
        var resumedAfter = resuming.Select((s, i) => s.Reconnects == reconnectsBefore[i] ? at : s.LiveSince!.Value).Max() - at;
        await Task.Delay(TimeSpan.FromSeconds(3), ct); // the probe sees the service settle
        return new FaultOutcome(
            probe.Failed - failedBefore,
            probe.LongestGap.TotalSeconds,
            resuming.Select((s, i) => s.Reconnects - reconnectsBefore[i]).Count(n => n > 0),
            resumedAfter.TotalSeconds,
            0, 0);
    }

    /// <summary>Each channel's positions as crud's log holds them: the truth the subscribers are checked against.</summary>
    private static async Task<Dictionary<string, List<long>>> EventLogAsync(ServiceProcess crud, Workload workload, CancellationToken ct)
    {
        using var channel = LocalAuth.Shared.CrudChannel(crud);
        var log = new EventLog.EventLogClient(channel);
        var truth = new Dictionary<string, List<long>>();
        foreach (var (board, _) in workload.Boards)
        {
            var positions = new List<long>();
            var request = new ListEventsRequest { BoardId = board, PageSize = 1000 };
            while (true)
            {
                var page = await log.ListEventsAsync(request, cancellationToken: ct);
                positions.AddRange(page.Events.Select(e => e.Position));
                if (page.Events.Count == 0 || page.Events[^1].Position >= page.HeadPosition)
                {
                    break;
                }
                request.AfterPosition = page.Events[^1].Position;
            }
            truth[$"board:{board}"] = positions;
        }
        return truth;
    }

    /// <summary>A CRUD client reading one card every 10 ms, counting failures and the longest time between two successes.</summary>
    private sealed class CrudProbe(ServiceProcess crud, string cardId)
    {
        private long _failed;
        private long _lastSuccess = Stopwatch.GetTimestamp();
        private long _longestGap;

        public long Failed => Interlocked.Read(ref _failed);

        public TimeSpan LongestGap => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _longestGap));

        public void ResetLongestGap() => Interlocked.Exchange(ref _longestGap, 0);

        public async Task RunAsync(CancellationToken ct)
        {
            using var channel = LocalAuth.Shared.CrudChannel(crud);
            var cards = new Cards.CardsClient(channel);
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await cards.GetCardAsync(new GetCardRequest { Id = cardId }, deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: ct);
                    var now = Stopwatch.GetTimestamp();
                    var gap = now - Interlocked.Exchange(ref _lastSuccess, now);
                    if (gap > Interlocked.Read(ref _longestGap))
                    {
                        Interlocked.Exchange(ref _longestGap, gap);
                    }
                }
                catch (RpcException) when (!ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _failed);
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    return;
                }
                try
                {
                    await Task.Delay(10, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
