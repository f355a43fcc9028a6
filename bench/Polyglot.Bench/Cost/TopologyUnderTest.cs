namespace Polyglot.Bench.Cost;

/// <summary>
/// One topology's processes, started the same way for both: Release builds of the services as
/// processes of their own on loopback, SQLite, no dashboard (its telemetry ingestion would
/// bill both sides); the split adds a private RabbitMQ node. Stopped when disposed.
/// </summary>
public sealed class TopologyUnderTest : IAsyncDisposable
{
    private TopologyUnderTest(Topology topology, ServiceProcess crud, ServiceProcess? realtime, LocalServer? broker)
    {
        (Topology, Crud, Realtime, Broker) = (topology, crud, realtime, broker);
    }

    public Topology Topology { get; }

    public ServiceProcess Crud { get; }

    /// <summary>realtime, in the split only.</summary>
    public ServiceProcess? Realtime { get; }

    /// <summary>RabbitMQ, in the split only.</summary>
    public LocalServer? Broker { get; }

    /// <summary>The process subscribers stream from: realtime in the split, crud in the monolith.</summary>
    public ServiceProcess Streaming => Realtime ?? Crud;

    /// <summary>The services' processes started until every one of them was healthy.</summary>
    public TimeSpan ServicesStartup { get; private set; }

    /// <summary>RabbitMQ's start until it answered AMQP (split only).</summary>
    public TimeSpan BrokerStartup { get; private set; }

    public IEnumerable<(string Name, ServiceProcess Process)> Services =>
        Realtime is null ? [("crud", Crud)] : [("crud", Crud), ("realtime", Realtime)];

    public static async Task<TopologyUnderTest> StartAsync(Topology topology)
    {
        var clock = Stopwatch.StartNew();
        var broker = topology == Topology.Split ? await LocalServer.StartRabbitMQAsync() : null;
        var brokerStartup = clock.Elapsed;

        var crudSettings = new Dictionary<string, string>(LocalAuth.Shared.CrudSettings().Concat(LocalAuth.Member.ClientSettings("member")))
        {
            [AppModelNames.TopologySetting] = topology.ToString(),
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-cost-{Guid.NewGuid():N}.db")}",
        };
        if (broker is not null)
        {
            crudSettings["ConnectionStrings__bus"] = broker.ConnectionString;
        }
        var crud = new ServiceProcess("Polyglot.Crud", crudSettings);
        var realtime = broker is null ? null : new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>(LocalAuth.Shared.RealtimeSettings(crud.GrpcAddress, crud.HttpAddress))
        {
            ["ConnectionStrings__bus"] = broker.ConnectionString,
        });
        var topologyUnderTest = new TopologyUnderTest(topology, crud, realtime, broker) { BrokerStartup = brokerStartup };
        clock.Restart();
        await Task.WhenAll(topologyUnderTest.Services.Select(s => StartHealthyAsync(s.Process)));
        topologyUnderTest.ServicesStartup = clock.Elapsed;
        return topologyUnderTest;
    }

    /// <summary>Starts the process (again, on the same ports) and returns once its /health answers healthy.</summary>
    public static async Task StartHealthyAsync(ServiceProcess service)
    {
        await service.StartAsync();
        using var http = new HttpClient { BaseAddress = service.HttpAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Wait.UntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("/health")).IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(120), $"{service.HttpAddress} to be healthy");
    }

    /// <summary>Every process this topology runs, by name: the services, and the broker's process tree.</summary>
    public IEnumerable<(string Name, int ProcessId)> Processes()
    {
        foreach (var (name, service) in Services)
        {
            yield return (name, service.ProcessId ?? throw new InvalidOperationException($"{name} is not running."));
        }
        if (Broker?.ProcessId is { } shell)
        {
            // The broker runs under a small shell; its processes are that shell's descendants.
            foreach (var pid in ProcFs.Descendants(shell))
            {
                yield return ($"bus ({ProcFs.CommandName(pid)})", pid);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, service) in Services.Reverse())
        {
            await service.DisposeAsync();
        }
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }
    }
}
