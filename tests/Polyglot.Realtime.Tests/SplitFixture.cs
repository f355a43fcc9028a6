using Polyglot.Realtime.Bus;

namespace Polyglot.Realtime.Tests;

/// <summary>crud and realtime as separate hosts on one real RabbitMQ: events cross the bus into the streams.</summary>
public class SplitFixture : TopologyFixture
{
    private string _bus = "";

    /// <summary>The bus's connection string, for tests that publish to it themselves.</summary>
    public string Bus => _bus;

    public ServiceHost<IntegrationEventConsumer> Realtime { get; private set; } = null!;

    public override Uri StreamingHttpAddress => Realtime.HttpAddress;

    public override IServiceProvider StreamingServices => Realtime.Services;

    public override Uri StreamingGrpcAddress => Realtime.GrpcAddress;

    protected sealed override IEnumerable<KeyValuePair<string, string?>> CrudSettings => [new("ConnectionStrings:bus", _bus), .. ExtraCrudSettings];

    /// <summary>Extra settings for crud.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraCrudSettings => [];

    /// <summary>Extra settings for realtime.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> RealtimeSettings => [];

    public override async ValueTask InitializeAsync()
    {
        _bus = (await LocalServer.RabbitMQAsync()).ConnectionString;
        await base.InitializeAsync();
        await StartRealtimeAsync();
    }

    /// <summary>
    /// Replaces realtime with a new instance (with a queue of its own, as every instance has), as
    /// a rescheduled replica would come back: empty history, and what happened meanwhile is only
    /// in crud's log.
    /// </summary>
    public override async Task RestartStreamingAsync(Func<Task> meanwhile)
    {
        await Realtime.DisposeAsync();
        await meanwhile();
        await StartRealtimeAsync();
    }

    private async Task StartRealtimeAsync() => Realtime = await StartRealtimeReplicaAsync();

    /// <summary>Another realtime instance on the same bus and crud, as a second replica; the caller disposes it.</summary>
    /// <param name="settings">Settings beside the fixture's.</param>
    /// <param name="services">Registrations added to realtime's own.</param>
    /// <param name="healthy">Wait until it takes subscribers (it never does while crud is down).</param>
    public async Task<ServiceHost<IntegrationEventConsumer>> StartRealtimeReplicaAsync(
        IEnumerable<KeyValuePair<string, string?>>? settings = null, Action<IServiceCollection>? services = null, bool healthy = true)
    {
        var realtime = new ServiceHost<IntegrationEventConsumer>(new Dictionary<string, string?>(LocalAuth.Shared.RealtimeSettings(Crud.GrpcAddress, Crud.HttpAddress, ":")!)
        {
            ["ConnectionStrings:bus"] = _bus,
        }.Concat(RealtimeSettings).Concat(settings ?? []).ToDictionary(), services);
        // Healthy once its queue is consuming and it has read crud's head: it takes subscribers.
        if (healthy)
        {
            await WaitHealthyAsync(realtime.HttpAddress, "realtime");
        }
        return realtime;
    }

    /// <summary>Stops crud for good, as an outage would (realtime stays up).</summary>
    public async Task StopCrudAsync() => await Crud.DisposeAsync();

    public override async ValueTask DisposeAsync()
    {
        await Realtime.DisposeAsync();
        await base.DisposeAsync();
    }
}
