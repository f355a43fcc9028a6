using System.Collections.Concurrent;
using System.Diagnostics;

namespace Polyglot.Realtime.Tests;

/// <summary>What only the split has: the bus between crud and realtime.</summary>
[Collection(SplitCollection.Name)]
public sealed class BusTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    [Fact]
    public async Task OneTraceFollowsARequestThroughCrudTheBusAndRealtime()
    {
        using var source = new ActivitySource("Polyglot.Tests");
        var consumers = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Polyglot.Tests" or "MassTransit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.Kind == ActivityKind.Consumer)
                {
                    consumers.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        ActivityTraceId traceId;
        using (var request = source.StartActivity("client request")!)
        {
            traceId = request.TraceId;
            await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Traced" });
        }

        // realtime's consume span is in the client's trace: crud's request span, the outbox row's
        // saved trace context, the relay's publish and the bus headers all carried it.
        await Wait.UntilAsync(
            () => Task.FromResult(consumers.Any(a => a.TraceId == traceId && a.Source.Name == "MassTransit")),
            TimeSpan.FromSeconds(10),
            "realtime's consumer span in the request's trace");
    }
}
