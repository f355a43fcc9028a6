using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Realtime.V1;
using Polyglot.Crud.Data;
using Polyglot.Crud.Grpc;
using Polyglot.LocalServers;
using Polyglot.Realtime.Bus;
using Polyglot.Streaming.Grpc;
using Polyglot.Testing;
using Board = Polyglot.Contracts.Boards.V1.Board;

namespace Polyglot.Realtime.Tests;

/// <summary>crud and realtime as separate hosts on one real RabbitMQ: events cross the bus into the streams.</summary>
public class SplitFixture : IAsyncLifetime
{
    private string _bus = "";

    /// <summary>The bus's connection string, for tests that publish to it themselves.</summary>
    public string Bus => _bus;

    /// <summary>Extra settings for crud.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> CrudSettings => [];

    /// <summary>Extra settings for realtime.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> RealtimeSettings => [];

    public ServiceHost<BoardsService> Crud { get; private set; } = null!;
    public ServiceHost<IntegrationEventConsumer> Realtime { get; private set; } = null!;

    public Boards.BoardsClient Boards => new(Crud.CreateGrpcChannel());

    public Columns.ColumnsClient Columns => new(Crud.CreateGrpcChannel());

    public Cards.CardsClient Cards => new(Crud.CreateGrpcChannel());

    /// <summary>A client of the current realtime (it changes when replaced).</summary>
    public Contracts.Realtime.V1.Realtime.RealtimeClient RealtimeClient => new(Realtime.CreateGrpcChannel());

    public async Task RenameAsync(Board board, string name, long version) =>
        await Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = name });

    /// <summary>Works on crud's database directly, as an operator or a retention job would.</summary>
    public async Task<T> InCrudAsync<T>(Func<BoardsDbContext, Task<T>> work)
    {
        await using var scope = Crud.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<BoardsDbContext>());
    }

    public virtual async Task InitializeAsync()
    {
        _bus = (await LocalServer.RabbitMQAsync()).ConnectionString;
        Crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-test-{Guid.NewGuid():N}.db")}",
            ["ConnectionStrings:bus"] = _bus,
        }.Concat(CrudSettings).ToDictionary());
        await StartRealtimeAsync();
    }

    /// <summary>
    /// Replaces realtime with a new instance (with a queue of its own, as every instance has), as
    /// a rescheduled replica would come back: empty history, and what happened meanwhile is only
    /// in crud's log.
    /// </summary>
    public async Task ReplaceRealtimeAsync(Func<Task> whileDown)
    {
        await Realtime.DisposeAsync();
        await whileDown();
        await StartRealtimeAsync();
    }

    private async Task StartRealtimeAsync() => Realtime = await StartRealtimeReplicaAsync();

    /// <summary>Another realtime instance on the same bus and crud, as a second replica; the caller disposes it.</summary>
    public async Task<ServiceHost<IntegrationEventConsumer>> StartRealtimeReplicaAsync()
    {
        var realtime = new ServiceHost<IntegrationEventConsumer>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:bus"] = _bus,
            ["Crud:Address"] = Crud.GrpcAddress.ToString(),
        }.Concat(RealtimeSettings).ToDictionary());
        // Healthy once its queue is consuming and it has read crud's head: it takes subscribers.
        using var http = new HttpClient { BaseAddress = realtime.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "realtime to be healthy");
        return realtime;
    }

    /// <summary>Stops crud for good, as an outage would (realtime stays up).</summary>
    public async Task StopCrudAsync() => await Crud.DisposeAsync();

    public async Task DisposeAsync()
    {
        await Realtime.DisposeAsync();
        await Crud.DisposeAsync();
    }
}
