using Microsoft.Extensions.Options;

namespace Polyglot.Streaming.Sse;

/// <summary>
/// Every <see cref="SseOptions.HeartbeatInterval"/>, a comment line to each SSE stream with nothing
/// queued. SSE has no ping: without a write, a peer that vanished is never found on a quiet
/// channel (its subscription, and its place in presence, held for ever), and proxies close streams
/// that say nothing. One timer for them all, not one per stream.
/// </summary>
public sealed class SseHeartbeats(ChannelHub hub, IOptions<SseOptions> options, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            hub.DeliverToIdle(Transport.Sse, Heartbeat.Instance);
        }
    }
}
