using Aspire.Hosting;
using Grpc.Net.Client;
using Polyglot.LocalServers;
using Polyglot.Testing;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The whole app model started once for all end-to-end tests: the bus as the app host provides
/// it on this machine (a local rabbitmq-server without Docker), crud on SQLite, and two realtime
/// replicas behind the app host's proxy.
/// Its own port and data directory, so it never meets a running dev instance.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"polyglot-apphost-tests-{Guid.NewGuid():N}");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>(
        [
            $"--Polyglot:Bus:Port={Ports.Free()}",
            $"--Polyglot:DataDirectory={dataDirectory}",
            "--Polyglot:Realtime:Replicas=2",
        ]);
        _app = await builder.BuildAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("crud", timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync("realtime", timeout.Token);
    }

    public GrpcChannel GrpcChannel(string resource) => Grpc.Net.Client.GrpcChannel.ForAddress(App.GetEndpoint(resource, "grpc"));

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}
