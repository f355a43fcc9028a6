using System.Collections.Concurrent;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Realtime.V1;

namespace Polyglot.Bench.Cost;

/// <summary>Latency percentiles of <paramref name="Count"/> timed operations, in milliseconds.</summary>
public sealed record Latency(int Count, double P50Ms, double P90Ms, double P99Ms, double MaxMs)
{
    public static Latency Of(LongHistogram stopwatchTicks) => new((int)stopwatchTicks.TotalCount,
        Ms(stopwatchTicks.GetValueAtPercentile(50)), Ms(stopwatchTicks.GetValueAtPercentile(90)), Ms(stopwatchTicks.GetValueAtPercentile(99)), Ms(stopwatchTicks.GetMaxValue()));

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// The hop: from a client's CreateCard call to the card's event arriving on a subscription, on
/// one client clock. In the split that is commit, relay, RabbitMQ (confirmed), realtime and the
/// stream; in the monolith commit, relay, the in-process hub and the stream.
/// </summary>
public static class Hop
{
    /// <param name="rate">Creates per second on a schedule (several in flight); 0: one at a time, each waiting for its event.</param>
    public static async Task<Latency> MeasureAsync(TopologyUnderTest system, Workload workload, int creates, int rate, ProgressTask? progress, CancellationToken ct)
    {
        var (board, column) = workload.Boards[0];
        using var crud = LocalAuth.Shared.CrudChannel(system.Crud);
        using var streaming = LocalAuth.Shared.StreamingChannel(system.Streaming.GrpcAddress, system.Crud.HttpAddress);
        var cards = new Cards.CardsClient(crud);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var call = new Contracts.Realtime.V1.Realtime.RealtimeClient(streaming).Subscribe(new SubscribeRequest { Channel = $"board:{board}" }, cancellationToken: stop.Token);
        await call.ResponseStream.MoveNext(ct); // subscribed

        var arrivals = new ConcurrentDictionary<string, TaskCompletionSource<long>>();
        TaskCompletionSource<long> Arrival(string title) => arrivals.GetOrAdd(title, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(stop.Token))
                {
                    if (call.ResponseStream.Current.Event?.CardCreated?.Card.Title is { } title)
                    {
                        Arrival(title).TrySetResult(Stopwatch.GetTimestamp());
                    }
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);

        var histogram = new LongHistogram(TimeStamp.Minutes(1), 3);
        var run = Guid.NewGuid().ToString("N")[..8];
        async Task CreateAndAwaitAsync(int i)
        {
            var title = $"hop {run} {i}";
            var sent = Stopwatch.GetTimestamp();
            await cards.CreateCardAsync(new CreateCardRequest { ColumnId = column, Title = title }, cancellationToken: ct);
            var arrived = await Arrival(title).Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            lock (histogram)
            {
                histogram.RecordValue(arrived - sent);
            }
            progress?.Increment(1);
        }

        if (rate == 0)
        {
            for (var i = 0; i < creates; i++)
            {
                await CreateAndAwaitAsync(i);
            }
        }
        else
        {
            await Pace.AtRateAsync(creates, rate, CreateAndAwaitAsync, ct);
        }
        await stop.CancelAsync();
        await reading;

        return Latency.Of(histogram);
    }
}
