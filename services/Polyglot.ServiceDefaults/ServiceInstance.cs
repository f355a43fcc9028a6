namespace Microsoft.Extensions.Hosting;

/// <summary>How one replica names itself to the others: in the relay's lease, and in presence shared over the bus.</summary>
public static class ServiceInstance
{
    /// <summary>
    /// Host, process id and a random suffix: unique even for a restarted process given the same id,
    /// or for two hosts in one process (as tests run them), so each caller takes its own.
    /// </summary>
    public static string NewId() => $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
