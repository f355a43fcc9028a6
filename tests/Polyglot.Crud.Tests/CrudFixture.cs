using Microsoft.Extensions.Hosting;
using Polyglot.Crud.Data;
using V1 = Polyglot.Contracts.Boards.V1;

namespace Polyglot.Crud.Tests;

/// <summary>
/// crud on Kestrel over a database of its own and the shared test RabbitMQ; one per test
/// class, called as the local service client (<see cref="LocalAuth"/>), which owns the boards it
/// creates. Derived fixtures pick the provider.
/// </summary>
public abstract class CrudFixture : IAsyncLifetime
{
    private ServiceHost<BoardsService>? _host;

    public ServiceHost<BoardsService> Host => _host ?? throw new InvalidOperationException("Not started.");
    public V1.Boards.BoardsClient Boards { get; private set; } = null!;
    public V1.Columns.ColumnsClient Columns { get; private set; } = null!;
    public V1.Cards.CardsClient Cards { get; private set; } = null!;

    protected abstract Task<(DatabaseProvider Provider, string ConnectionString)> DatabaseAsync();

    /// <summary>Extra settings for crud.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    /// <summary>The broker crud publishes to: the shared test node unless a fixture brings its own.</summary>
    protected virtual Task<LocalServer> BusAsync() => LocalServer.RabbitMQAsync();

    public string BusConnectionString { get; private set; } = null!;

    /// <summary>All of crud's settings: another host given them runs on the same database and broker.</summary>
    public IReadOnlyDictionary<string, string?> HostSettings { get; private set; } = null!;

    public virtual async ValueTask InitializeAsync()
    {
        var (provider, connectionString) = await DatabaseAsync();
        BusConnectionString = (await BusAsync()).ConnectionString;
        var settings = new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = provider.ToString(),
            ["ConnectionStrings:db"] = connectionString,
            ["ConnectionStrings:bus"] = BusConnectionString,
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value; // a fixture's own keys, say, replace the shared ones
        }
        HostSettings = settings;
        _host = new ServiceHost<BoardsService>(HostSettings);
        var channel = Host.CreateSignedInChannel();
        Boards = new V1.Boards.BoardsClient(channel);
        Columns = new V1.Columns.ColumnsClient(channel);
        Cards = new V1.Cards.CardsClient(channel);
    }

    /// <summary>Reads the database directly, as the assertions' source of truth.</summary>
    public async Task<T> QueryAsync<T>(Func<BoardsDbContext, Task<T>> query)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<BoardsDbContext>());
    }

    public Task<List<Outbox.OutboxMessage>> OutboxForBoardAsync(string boardId) =>
        QueryAsync(db => db.Outbox.AsNoTracking().Where(m => m.BoardId == Guid.Parse(boardId)).OrderBy(m => m.Position).ToListAsync());

    /// <summary>crud's pruner, to run a round by hand.</summary>
    public Outbox.OutboxPruner Pruner => Host.Services.GetServices<IHostedService>().OfType<Outbox.OutboxPruner>().Single();

    public Task<long> CursorAsync(string name) =>
        QueryAsync(db => db.OutboxCursors.Where(c => c.Name == name).Select(c => c.Position).SingleAsync());

    /// <summary>Five boards created and published (what the pruner may take); the head after them.</summary>
    public async Task<long> PublishedBoardsAsync(string name)
    {
        for (var i = 0; i < 5; i++)
        {
            await Boards.CreateBoardAsync(new CreateBoardRequest { Name = $"{name} {i}" });
        }
        var head = await CursorAsync(OutboxCursor.Written);
        await Wait.UntilAsync(async () => await CursorAsync(OutboxCursor.Published) == head, TimeSpan.FromSeconds(10), "the relay to publish everything");
        return head;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
