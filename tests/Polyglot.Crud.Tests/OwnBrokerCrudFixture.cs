namespace Polyglot.Crud.Tests;

/// <summary>
/// crud on SQLite with a RabbitMQ node of its own: for a consumer that reads every event on the
/// exchange, where the other fixtures' crud instances (each with its own log, so positions that
/// repeat) would otherwise publish beside this one.
/// </summary>
public sealed class OwnBrokerCrudFixture : SqliteCrudFixture
{
    private LocalServer? _broker;

    protected override async Task<LocalServer> BusAsync() => _broker = await LocalServer.StartRabbitMQAsync();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
