using MassTransit;
using Polyglot.Streaming.Hub;

namespace Polyglot.Realtime.Bus;

/// <summary>Opens the hub to subscribers once its receive endpoint is ready: the queue declared, bound and consumed.</summary>
public sealed class ConsumerReadiness(ChannelHub hub) : IReceiveEndpointObserver
{
    public Task Ready(ReceiveEndpointReady ready)
    {
        hub.StartTakingSubscribers();
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
