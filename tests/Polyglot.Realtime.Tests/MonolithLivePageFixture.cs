namespace Polyglot.Realtime.Tests;

/// <summary>The monolith: crud alone as its own process, serving the page and the streams.</summary>
public sealed class MonolithLivePageFixture : LivePageFixture
{
    private readonly ServiceProcess _crud;

    public MonolithLivePageFixture()
    {
        _crud = new("Polyglot.Crud", new Dictionary<string, string>(LocalAuth.Shared.CrudSettings())
        {
            [AppModelNames.TopologySetting] = nameof(Topology.Monolith),
            ["Database__Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings__db"] = SqliteFile.NewConnectionString(),
            ["Hub__SubscriberQueueCapacity"] = "1",
            ["Auth__Users__0__Name"] = UserName,
            ["Auth__Users__0__Password"] = UserPassword,
        });
        // The page is crud's own: the visitor comes back to it.
        _crud.SetEnvironment("Auth__LivePageRedirectUris__0", new Uri(_crud.HttpAddress, "/").ToString());
    }

    public override ServiceProcess Streaming => _crud;

    protected override GrpcChannel CrudChannel() => LocalAuth.Shared.CrudChannel(_crud);

    protected override Task StartServicesAsync() => StartAndWaitAsync(_crud);

    public override async Task RestartStreamingAsync(Func<Task> meanwhile)
    {
        Assert.Equal(0, await _crud.TerminateAsync(TimeSpan.FromSeconds(30)));
        await StartAndWaitAsync(_crud);
        await meanwhile();
    }
}
