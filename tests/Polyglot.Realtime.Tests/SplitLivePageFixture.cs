namespace Polyglot.Realtime.Tests;

/// <summary>
/// The split: crud on Kestrel with its relay on, realtime as its own process, and a RabbitMQ node
/// of their own between them, so no other test's events reach this realtime.
/// </summary>
public sealed class SplitLivePageFixture : LivePageFixture
{
    private LocalServer _broker = null!;
    private ServiceHost<BoardsService> _crud = null!;
    private ServiceProcess _realtime = null!;

    public override ServiceProcess Streaming => _realtime;

    protected override GrpcChannel CrudChannel() => _crud.CreateSignedInChannel();

    protected override async Task StartServicesAsync()
    {
        _broker = await LocalServer.StartRabbitMQAsync();
        var bus = _broker.ConnectionString;
        _realtime = new ServiceProcess("Polyglot.Realtime", new Dictionary<string, string>
        {
            ["ConnectionStrings__bus"] = bus,
            ["Hub__SubscriberQueueCapacity"] = "1",
        });
        // crud sends a signed-in visitor back to the page realtime serves.
        _crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
            ["ConnectionStrings:bus"] = bus,
            ["Auth:Users:0:Name"] = UserName,
            ["Auth:Users:0:Password"] = UserPassword,
            ["Auth:LivePageRedirectUris:0"] = new Uri(_realtime.HttpAddress, "/").ToString(),
        });
        foreach (var (name, value) in LocalAuth.Shared.RealtimeSettings(_crud.GrpcAddress, _crud.HttpAddress))
        {
            _realtime.SetEnvironment(name, value);
        }
        _realtime.SetEnvironment("Auth__Authority", _crud.HttpAddress.ToString());
        await StartAndWaitAsync(_realtime);
    }

    public override async Task RestartStreamingAsync(Func<Task> meanwhile)
    {
        Assert.Equal(0, await _realtime.TerminateAsync(TimeSpan.FromSeconds(30)));
        await meanwhile();
        await StartAndWaitAsync(_realtime);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _crud.DisposeAsync();
        await _broker.DisposeAsync();
    }
}
