using System.Net;
using System.Net.Sockets;

namespace Polyglot.AppHost;

/// <summary>
/// The fixed ports the README promises — the services' endpoints and the dashboard's. When another
/// program holds one, the app host says so and stops, instead of reporting the application started
/// while a service cannot listen.
/// </summary>
public static class FixedPorts
{
    private static readonly string[] DashboardUrls = ["ASPNETCORE_URLS", "ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", "ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"];

    public static void ThrowIfFixedPortsTaken(this IDistributedApplicationBuilder builder)
    {
        // Published manifests bind nothing here; Aspire.Hosting.Testing gives every endpoint a random port.
        if (builder.ExecutionContext.IsPublishMode || builder.Configuration.GetValue("DcpPublisher:RandomizePorts", false))
        {
            return;
        }
        var wanted = builder.Resources
            .SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Where(e => e.Port is not null).Select(e => (Port: e.Port!.Value, Owner: $"{r.Name}'s {e.Name} endpoint")))
            .Concat(DashboardUrls
                .SelectMany(key => (builder.Configuration[key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
                .Select(url => (Port: new Uri(url).Port, Owner: "the dashboard")));
        foreach (var (port, owner) in wanted)
        {
            if (!IsFree(port))
            {
                throw new DistributedApplicationException(
                    $"Port {port} ({owner}) is in use by another program. Stop that program (`ss -ltnp 'sport = :{port}'` names it), then start again.");
            }
        }
    }

    /// <summary>Free on both loopbacks: the services listen on localhost, which is both.</summary>
    public static bool IsFree(int port) =>
        IsFree(IPAddress.Loopback, port) && (!Socket.OSSupportsIPv6 || IsFree(IPAddress.IPv6Loopback, port));

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException ex)
        {
            // On ::1 only "in use" means taken; another error means this machine has no ::1 to take.
            return address.Equals(IPAddress.IPv6Loopback) && ex.SocketErrorCode != SocketError.AddressAlreadyInUse;
        }
    }
}
