using System.Diagnostics;

namespace Polyglot.LocalServers;

/// <summary>What a program run to its end printed, and how it exited.</summary>
public readonly record struct ProgramExit(int Code, string Output, string Errors);

public static class ProgramRun
{
    /// <summary>
    /// Runs a program to its end, reading its output and its errors side by side (a full pipe
    /// would stall it); cancelled first, it is killed with its children.
    /// </summary>
    public static async Task<ProgramExit> RunAsync(ProcessStartInfo start, CancellationToken ct = default)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return new ProgramExit(process.ExitCode, await output, await errors);
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
