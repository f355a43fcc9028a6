using System.Diagnostics;
using System.Text;

namespace Polyglot.AppHost.Tests;

/// <summary>
/// The app host started as `./run.sh` starts it — `dotnet run` with the `http` launch profile,
/// fixed ports and the dashboard — as built by the test run, with a data directory and a bus
/// port of its own. Stopped with SIGTERM (as Ctrl+C would), killed if it does not stop.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"polyglot-apphost-run-{Guid.NewGuid():N}");

    private AppHostProcess(IEnumerable<string> arguments)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        _process = Process.Start(new ProcessStartInfo("dotnet",
        [
            "run", "--project", Path.Combine(Repository.Root, "apphost", "Polyglot.AppHost"), "--launch-profile", "http",
            "--no-build", "-c", configuration, "--",
            $"--Polyglot:DataDirectory={_dataDirectory}", $"--Polyglot:Bus:Port={Ports.Free()}", .. arguments,
        ])
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What it printed so far, stdout and stderr.</summary>
    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static AppHostProcess Start(params string[] arguments) => new(arguments);

    /// <summary>The first printed line that <paramref name="match"/> accepts.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        string? line = null;
        await Wait.UntilAsync(() =>
        {
            line = Output.Split('\n').FirstOrDefault(match);
            return Task.FromResult(line is not null || _process.HasExited);
        }, timeout, what);
        return line ?? throw new InvalidOperationException($"The app host exited ({_process.ExitCode}) before {what}:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // The app host runs under `dotnet run`: SIGTERM to it stops DCP and every resource.
            var appHost = ProcFs.Descendants(_process.Id).Where(pid => ProcFs.CommandName(pid).StartsWith("Polyglot.AppHos", StringComparison.Ordinal));
            foreach (var pid in appHost.Append(_process.Id))
            {
                using var term = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
                await term.WaitForExitAsync();
            }
            using var deadline = TestTimeout.After(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
