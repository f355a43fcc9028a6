namespace Polyglot.Realtime.Tests;

/// <summary>The monolith: crud alone, no bus; it streams its own events from the hub it hosts.</summary>
public class MonolithFixture : TopologyFixture
{
    public override Uri StreamingHttpAddress => Crud.HttpAddress;

    public override IServiceProvider StreamingServices => Crud.Services;

    public override Uri StreamingGrpcAddress => Crud.GrpcAddress;

    protected override IEnumerable<KeyValuePair<string, string?>> CrudSettings => [new("Topology", nameof(Topology.Monolith))];

    public override async Task RestartStreamingAsync(Func<Task> meanwhile)
    {
        await meanwhile();
        await Crud.DisposeAsync();
        await StartCrudAsync();
    }
}
