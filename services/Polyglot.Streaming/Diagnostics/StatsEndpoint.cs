using System.Diagnostics;

namespace Polyglot.Streaming.Diagnostics;

/// <summary>
/// <c>GET /stats</c>: this process's own cost figures, which the benchmark reads before and after
/// a run — memory (working set, GC heap), CPU time, subscriptions held, the hub's head.
/// <c>?collect=true</c> runs a full garbage collection first, for a steady heap figure; it is
/// honoured in Development only, since it stalls the process.
/// </summary>
public static class StatsEndpoint
{
    public static void MapStats(this WebApplication app) => app.MapStats(services =>
    {
        var hub = services.GetRequiredService<ChannelHub>();
        return (hub.SubscriptionCount, hub.Head);
    });

    /// <param name="held">The subscriptions held and the head, from the app's services.</param>
    public static void MapStats(this WebApplication app, Func<IServiceProvider, (int Subscriptions, long Head)> held) => app.MapGet("/stats", (bool? collect, IServiceProvider services, IHostEnvironment environment) =>
    {
        if (collect == true && environment.IsDevelopment())
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        using var process = Process.GetCurrentProcess();
        var (subscriptions, head) = held(services);
        return TypedResults.Ok(new Stats(
            Environment.ProcessId,
            process.WorkingSet64,
            GC.GetTotalMemory(forceFullCollection: false),
            process.TotalProcessorTime.TotalSeconds,
            subscriptions,
            head));
    });

    public sealed record Stats(int ProcessId, long WorkingSetBytes, long GcHeapBytes, double CpuSeconds, int Subscriptions, long Head);
}
