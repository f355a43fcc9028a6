using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Polyglot.Contracts.Settings;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The whole app model started once for a class or collection of end-to-end tests, as
/// Aspire.Hosting.Testing runs it: the bus as the app host provides it on this machine (a local
/// rabbitmq-server without Docker), crud on SQLite. Its own ports and data directory, so it
/// never meets a running dev instance.
/// </summary>
public abstract class AppHostFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    /// <summary>The resource subscribers stream from.</summary>
    public abstract string StreamingResource { get; }

    /// <summary>The app host's arguments beside its data directory.</summary>
    protected abstract IEnumerable<string> Arguments { get; }

    public async ValueTask InitializeAsync()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"polyglot-apphost-tests-{Guid.NewGuid():N}");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>(
            [$"--Polyglot:DataDirectory={dataDirectory}", .. Arguments]);
        _app = await builder.BuildAsync();
        using var timeout = TestTimeout.After(TimeSpan.FromMinutes(3));
        await _app.StartAsync(timeout.Token);
        foreach (var resource in new[] { "crud", StreamingResource }.Distinct())
        {
            try
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
            }
            catch (DistributedApplicationException ex)
            {
                // Aspire says only that it "failed to start": what the process wrote says why.
                throw new DistributedApplicationException($"{ex.Message} Its last output:\n{await LastOutputAsync(resource)}", ex);
            }
        }
    }

    private async Task<string> LastOutputAsync(string resource)
    {
        var id = App.ResourceNotifications.TryGetCurrentState(resource, out var state) ? state.ResourceId : resource;
        var lines = new List<string>();
        await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(id))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }
        return string.Join('\n', lines.TakeLast(80));
    }

    public GrpcChannel GrpcChannel(string resource) => Grpc.Net.Client.GrpcChannel.ForAddress(App.GetEndpoint(resource, "grpc"));

    /// <summary>A channel to crud signed in as the development client, with the secret the dashboard shows.</summary>
    public async Task<GrpcChannel> CrudChannelAsync() =>
        (await DevelopmentClientAsync()).CrudChannel(App.GetEndpoint(AppModelNames.Crud, "grpc"), App.GetEndpoint(AppModelNames.Crud, "http"));

    /// <summary>A channel to the streaming side's gRPC address (the resource's, or one replica's) signed in as the development client.</summary>
    public async Task<GrpcChannel> StreamingChannelAsync(Uri? address = null) =>
        (await DevelopmentClientAsync()).StreamingChannel(address ?? App.GetEndpoint(StreamingResource, "grpc"), App.GetEndpoint(AppModelNames.Crud, "http"));

    private async Task<LocalAuth> DevelopmentClientAsync() =>
        new(FirstAccounts.Local.ClientId, await ParameterAsync(FirstAccounts.Local.ClientSecretParameter));

    /// <summary>A parameter's value, as the dashboard shows it.</summary>
    public async Task<string> ParameterAsync(string name) =>
        (await App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name).GetValueAsync(default))!;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
