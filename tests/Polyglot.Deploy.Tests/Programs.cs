using System.Diagnostics;
using Polyglot.LocalServers;

namespace Polyglot.Deploy.Tests;

/// <summary>Programs run as a user runs them: docker-compose (offline, `config` validates a file without an engine), the deploy command.</summary>
public static class Programs
{
    /// <summary>Runs <paramref name="program"/> to its end: its exit code, and what it printed (its output, then its errors).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        var exit = await ProgramRun.RunAsync(new ProcessStartInfo(program, args), TestContext.Current.CancellationToken);
        return (exit.Code, exit.Output + exit.Errors);
    }
}
