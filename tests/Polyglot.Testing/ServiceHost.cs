using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Polyglot.Testing;

/// <summary>
/// Runs a service's real Program on Kestrel with real sockets (not the in-memory test server),
/// with its own ports and settings. <typeparamref name="TMarker"/> is any type from the service.
/// </summary>
public sealed class ServiceHost<TMarker> : WebApplicationFactory<TMarker> where TMarker : class
{
    private readonly IReadOnlyDictionary<string, string?> _settings;

    public ServiceHost(IDictionary<string, string?> settings)
    {
        HttpAddress = new Uri($"http://127.0.0.1:{Ports.Free()}");
        GrpcAddress = new Uri($"http://127.0.0.1:{Ports.Free()}");
        _settings = new Dictionary<string, string?>(settings)
        {
            ["Kestrel:Endpoints:http:Url"] = HttpAddress.ToString(),
            ["Kestrel:Endpoints:grpc:Url"] = GrpcAddress.ToString(),
        };
        UseKestrel();
        StartServer();
    }

    public Uri HttpAddress { get; }

    public Uri GrpcAddress { get; }

    public GrpcChannel CreateGrpcChannel() => GrpcChannel.ForAddress(GrpcAddress);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
