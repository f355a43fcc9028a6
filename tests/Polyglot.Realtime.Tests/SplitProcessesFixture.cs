namespace Polyglot.Realtime.Tests;

/// <summary>The split as processes: crud and realtime, each its own process, on one RabbitMQ.</summary>
public sealed class SplitProcessesFixture : StreamingProcessesFixture
{
    public override async ValueTask InitializeAsync()
    {
        var bus = (await LocalServer.RabbitMQAsync()).ConnectionString;
        Crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = Database,
            ["ConnectionStrings__bus"] = bus,
        });
        await Crud.StartAsync();
        Streaming = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>(LocalAuth.Shared.RealtimeSettings(Crud.GrpcAddress, Crud.HttpAddress))
        {
            ["ConnectionStrings__bus"] = bus,
        });
        await Streaming.StartAsync();
        await WaitHealthyAsync();
    }
}
