using System.Diagnostics;

namespace Polyglot.Deploy.Tests;

/// <summary>docker-compose itself, offline: `config` validates a file without an engine.</summary>
public static class DockerCompose
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("docker-compose", args) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("docker-compose did not start; .ci/run installs it (apt-get install docker-compose).");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + error);
    }
}
