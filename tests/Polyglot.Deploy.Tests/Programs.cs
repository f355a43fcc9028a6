using System.Diagnostics;

namespace Polyglot.Deploy.Tests;

/// <summary>Programs run as a user runs them: docker-compose (offline, `config` validates a file without an engine), the deploy command.</summary>
public static class Programs
{
    /// <summary>Runs <paramref name="program"/> to its end: its exit code, and what it printed (its output, then its errors).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, await output + error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
