using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Polyglot.LocalServers;

namespace Polyglot.Testing;

/// <summary>
/// Runs a service's real Program on Kestrel with real sockets (not the in-memory test server),
/// with its own ports and settings. <typeparamref name="TMarker"/> is any type from the service.
/// </summary>
public sealed class ServiceHost<TMarker> : IAsyncDisposable where TMarker : class
{
    private readonly Factory _factory;

    /// <param name="services">Registrations added to the service's own, e.g. a logger provider that records.</param>
    /// <param name="restarting">A host disposed before whose addresses this one takes, as the same service restarted.</param>
    public ServiceHost(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null, ServiceHost<TMarker>? restarting = null)
    {
        // A free port can be taken by another test process between choosing and binding it:
        // choose again then (not the ones of a host restarting: they are the point).
        for (var attempt = 1; ; attempt++)
        {
            HttpAddress = restarting?.HttpAddress ?? new Uri($"http://127.0.0.1:{Ports.Free()}");
            GrpcAddress = restarting?.GrpcAddress ?? new Uri($"http://127.0.0.1:{Ports.Free()}");
            _factory = new Factory(new Dictionary<string, string?>(settings)
            {
                ["Kestrel:Endpoints:http:Url"] = HttpAddress.ToString(),
                ["Kestrel:Endpoints:grpc:Url"] = GrpcAddress.ToString(),
            }, services);
            try
            {
                _factory.UseKestrel();
                _factory.StartServer();
                return;
            }
            catch (Exception ex) when (attempt < 5 && restarting is null && IsAddressInUse(ex))
            {
                _factory.Dispose();
            }
        }
    }

    public Uri HttpAddress { get; private set; }

    public Uri GrpcAddress { get; private set; }

    public IServiceProvider Services => _factory.Services;

    public GrpcChannel CreateGrpcChannel() => GrpcChannel.ForAddress(GrpcAddress);

    /// <summary>A channel to crud whose calls carry the local service client's token (<see cref="LocalAuth"/>).</summary>
    public GrpcChannel CreateSignedInChannel() => LocalAuth.Shared.CrudChannel(GrpcAddress, HttpAddress);

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    private static bool IsAddressInUse(Exception ex) =>
        ex is AddressInUseException || (ex is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }) || (ex.InnerException is { } inner && IsAddressInUse(inner));

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services) : WebApplicationFactory<TMarker>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            if (services is not null)
            {
                builder.ConfigureServices(services);
            }
        }
    }
}
