namespace Polyglot.Realtime.Tests;

/// <summary>The monolith as a process: crud alone, streaming from the hub it hosts.</summary>
public sealed class MonolithProcessesFixture : StreamingProcessesFixture
{
    public override async ValueTask InitializeAsync()
    {
        Crud = Streaming = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = Database,
        });
        await Streaming.StartAsync();
        await WaitHealthyAsync();
    }
}
