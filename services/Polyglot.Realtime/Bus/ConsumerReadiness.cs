namespace Polyglot.Realtime.Bus;

/// <summary>
/// Opens the hub once its receive endpoint is ready — the queue declared, bound and consumed —
/// so that every event published from then on reaches the hub. Opening reads crud's head, retrying
/// while crud is unreachable; until then subscribers are refused as "starting".
/// </summary>
public sealed class ConsumerReadiness(ChannelHub hub, IHostApplicationLifetime lifetime) : IReceiveEndpointObserver
{
    private int _opening;

    public Task Ready(ReceiveEndpointReady ready)
    {
        // The endpoint is ready again after every broker reconnect; the hub opens once. Not
        // awaited: MassTransit's start-up must not wait for crud.
        if (Interlocked.Exchange(ref _opening, 1) == 0)
        {
            _ = hub.OpenAsync(lifetime.ApplicationStopping);
        }
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
