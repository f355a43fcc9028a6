using Polyglot.Crud.Data;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// A RabbitMQ node of these tests' own, so nothing else publishes to their realtimes, and a crud
/// whose relay is off: realtime reads its head (0) and its log, while the tests alone feed the bus.
/// </summary>
public sealed class OwnBrokerFixture : IAsyncLifetime, IStreamingProcessFixture
{
    public LocalServer Broker { get; private set; } = null!;

    public ServiceHost<BoardsService> Crud { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Broker = await LocalServer.StartRabbitMQAsync();
        Crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            ["ConnectionStrings:bus"] = Broker.ConnectionString,
            ["Outbox:RelayEnabled"] = "false",
        });
    }

    /// <summary>A realtime process on the broker (unless <paramref name="settings"/> name another), reading this crud's log; the caller disposes it.</summary>
    public async Task<ServiceProcess> StartStreamingAsync(Dictionary<string, string> settings)
    {
        var all = LocalAuth.Shared.RealtimeSettings(Crud.GrpcAddress, Crud.HttpAddress);
        all["ConnectionStrings__bus"] = Broker.ConnectionString;
        foreach (var (name, value) in settings)
        {
            all[name] = value;
        }
        var realtime = new ServiceProcess("Polyglot.Realtime", all);
        await realtime.StartAsync();
        return realtime;
    }

    public Uri TokenServerOf(ServiceProcess streaming) => Crud.HttpAddress;

    public async ValueTask DisposeAsync()
    {
        await Crud.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
