using System.Diagnostics;

namespace Polyglot.AppHost.Provisioning;

internal static class ContainerRuntime
{
    /// <summary>
    /// True when the container runtime Aspire would use answers. Without a live engine a
    /// container resource never starts and whatever waits for it waits forever, so the app
    /// host must know before it chooses.
    /// </summary>
    public static bool IsHealthy(IConfiguration configuration)
    {
        var runtime = configuration["DcpPublisher:ContainerRuntime"]
            ?? Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME")
            ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // the client is not installed
        }
    }
}
