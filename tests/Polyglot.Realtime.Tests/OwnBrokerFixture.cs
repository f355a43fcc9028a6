using Polyglot.Contracts.Settings;
using Polyglot.Crud.Data;
using Polyglot.Crud.Grpc;
using Polyglot.LocalServers;
using Polyglot.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// A RabbitMQ node of these tests' own, so nothing else publishes to their realtimes, and a crud
/// whose relay is off: realtime reads its head (0) and its log, while the tests alone feed the bus.
/// </summary>
public sealed class OwnBrokerFixture : IAsyncLifetime
{
    public LocalServer Broker { get; private set; } = null!;

    public ServiceHost<BoardsService> Crud { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Broker = await LocalServer.StartRabbitMQAsync();
        Crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-test-{Guid.NewGuid():N}.db")}",
            ["ConnectionStrings:bus"] = Broker.ConnectionString,
            ["Outbox:RelayEnabled"] = "false",
        });
    }

    public async Task DisposeAsync()
    {
        await Crud.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
