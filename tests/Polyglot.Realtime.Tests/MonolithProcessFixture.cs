namespace Polyglot.Realtime.Tests;

/// <summary>crud as its own process in the monolith topology, on a database of its own each time.</summary>
public sealed class MonolithProcessFixture : IStreamingProcessFixture
{
    public async Task<ServiceProcess> StartStreamingAsync(Dictionary<string, string> settings)
    {
        var crud = new ServiceProcess("Polyglot.Crud", new Dictionary<string, string>(settings.Concat(LocalAuth.Shared.CrudSettings()))
        {
            [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = SqliteFile.NewConnectionString(),
        });
        await crud.StartAsync();
        return crud;
    }

    public Uri TokenServerOf(ServiceProcess streaming) => streaming.HttpAddress;
}
