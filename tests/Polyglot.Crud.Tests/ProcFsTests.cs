using System.Net;
using System.Net.Sockets;

namespace Polyglot.Crud.Tests;

/// <summary>
/// The benchmarks' readings of /proc survive a process that goes between being listed and being
/// read, as RabbitMQ's short-lived helpers do under the broker's shell.
/// </summary>
public sealed class ProcFsTests
{
    [Fact]
    public async Task AProcessThatHasExitedReadsAsNoMemoryAndNoPortsAndIsLeftOutOfTheCpuReadings()
    {
        using var ended = System.Diagnostics.Process.Start("true")!;
        await ended.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.False(Directory.Exists($"/proc/{ended.Id}"), "the process is still there to read");
        Assert.ThrowsAny<IOException>(() => ProcFs.CpuSeconds(ended.Id));
        var running = Environment.ProcessId;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        Assert.Equal(0, ProcFs.PssBytes(ended.Id));
        Assert.True(ProcFs.PssBytes(running) > 0, "a running process has no memory");
        Assert.Empty(ProcFs.ListeningPorts([ended.Id]));
        Assert.Contains(((IPEndPoint)listener.LocalEndpoint).Port, ProcFs.ListeningPorts([running, ended.Id]));
        var cpu = ProcFs.CpuSecondsOfRunning([running, ended.Id]);
        Assert.Equal([running], cpu.Keys);
        Assert.True(cpu[running] > 0, "a running process has used no CPU");
    }
}
