using System.Net;
using System.Net.Sockets;

namespace Polyglot.LocalServers;

public static class Ports
{
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A free loopback port in 10000–12499: below the ephemeral range (32768+), so no outgoing
    /// connection can take it meanwhile, and low enough that RabbitMQ's port + 20000 stays below too.
    /// Another test process can still take it before it is bound: <see cref="ServiceHost{TMarker}"/>
    /// then chooses again.
    /// </summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(10_000, 12_500);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
                {
                    continue; // this process has it already, perhaps not bound yet
                }
            }
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("No free port in 10000–12499.");
    }
}
