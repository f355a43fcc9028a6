using Grpc.Core;
using Grpc.Net.Client;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Settings;
using Polyglot.LocalServers;

namespace Polyglot.Chaos.Tests;

/// <summary>
/// The split under test, every part a real process of the suite's own: RabbitMQ, crud (on SQLite,
/// or on a PostgreSQL cluster of its own), realtime. Short retry delays, so a fault's recovery
/// shows in seconds.
/// </summary>
public sealed class ChaosSystem : IAsyncDisposable
{
    private ChaosSystem(DatabaseProvider provider, LocalServer broker, LocalServer? database, ServiceProcess crud, ServiceProcess realtime) =>
        (Provider, Broker, Database, Crud, Realtime) = (provider, broker, database, crud, realtime);

    public DatabaseProvider Provider { get; }

    public LocalServer Broker { get; }

    /// <summary>PostgreSQL, when that is the provider.</summary>
    public LocalServer? Database { get; }

    public ServiceProcess Crud { get; }

    public ServiceProcess Realtime { get; }

    public static async Task<ChaosSystem> StartAsync(DatabaseProvider provider)
    {
        var broker = await LocalServer.StartRabbitMQAsync();
        var database = provider == DatabaseProvider.Postgres ? await LocalServer.StartPostgresAsync() : null;
        var crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            ["Database__Provider"] = provider.ToString(),
            ["ConnectionStrings__db"] = database?.ConnectionString ?? $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-chaos-{Guid.NewGuid():N}.db")}",
            ["ConnectionStrings__bus"] = broker.ConnectionString,
            ["Outbox__PublishTimeout"] = "00:00:03",
            ["Outbox__LeaseDuration"] = "00:00:02",
            // When a recovery runs over its bound, the failure shows what the bus did meanwhile.
            ["Logging__LogLevel__MassTransit"] = "Debug",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        });
        var realtime = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>(LocalAuth.Shared.RealtimeSettings(crud.GrpcAddress, crud.HttpAddress))
        {
            ["ConnectionStrings__bus"] = broker.ConnectionString,
        });
        var system = new ChaosSystem(provider, broker, database, crud, realtime);
        try
        {
            await crud.StartAsync();
            await realtime.StartAsync();
            return system;
        }
        catch
        {
            await system.DisposeAsync(); // a start that failed leaves nothing running
            throw;
        }
    }

    /// <summary>A gRPC call to crud, retried while crud or its database restart.</summary>
    public async Task<T> CallCrudAsync<T>(Func<GrpcChannel, Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connection = LocalAuth.Shared.CrudChannel(Crud);
                return await call(connection);
            }
            catch (RpcException) when (attempt < 100)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>What the database committed, every event in position order: the truth the subscribers are held to.</summary>
    public async Task<List<IntegrationEvent>> CommittedAsync()
    {
        var events = new List<IntegrationEvent>();
        var request = new ListEventsRequest { PageSize = 1000 };
        while (true)
        {
            var page = await CallCrudAsync(c => new EventLog.EventLogClient(c).ListEventsAsync(request).ResponseAsync);
            events.AddRange(page.Events);
            if (page.Events.Count == 0 || page.Events[^1].Position >= page.HeadPosition)
            {
                return events;
            }
            request.AfterPosition = page.Events[^1].Position;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Realtime.DisposeAsync();
        await Crud.DisposeAsync();
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
        await Broker.DisposeAsync();
    }
}
