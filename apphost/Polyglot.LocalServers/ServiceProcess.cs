using System.Diagnostics;
using Polyglot.Contracts.Settings;

namespace Polyglot.LocalServers;

/// <summary>
/// A service run as its own process (`dotnet Polyglot.X.dll`), as in production: it can be
/// killed with SIGKILL at any instruction and started again on the same ports and data.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly string _dll;
    private readonly Dictionary<string, string> _environment;
    private readonly System.Text.StringBuilder _output = new();
    private Process? _process;

    /// <param name="project">The project's folder under <paramref name="parent"/>, e.g. "Polyglot.Crud".</param>
    /// <param name="parent">The repository folder that holds the project.</param>
    public ServiceProcess(string project, IDictionary<string, string> environment, string parent = "services")
    {
        // Built beside the test assemblies' configuration (Debug or Release).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        _dll = Path.Combine(Repository.Root, parent, project, "bin", configuration, "net10.0", $"{project}.dll");
        HttpAddress = new Uri($"http://127.0.0.1:{Ports.Free()}");
        GrpcAddress = new Uri($"http://127.0.0.1:{Ports.Free()}");
        _environment = new Dictionary<string, string>(environment)
        {
            ["Kestrel__Endpoints__http__Url"] = HttpAddress.ToString(),
            ["Kestrel__Endpoints__grpc__Url"] = GrpcAddress.ToString(),
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Logging__LogLevel__Default"] = "Warning",
        };
    }

    public Uri HttpAddress { get; }

    /// <summary>
    /// Sets a variable for the next start: for settings that name another service which must
    /// know this one's address before it starts.
    /// </summary>
    public void SetEnvironment(string name, string value) => _environment[name] = value;

    public Uri GrpcAddress { get; }

    /// <summary>The running process's id; null before it started or after it exited.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>Starts the process and returns once it answers /alive (it may still wait for its bus or database).</summary>
    public async Task StartAsync()
    {
        if (!File.Exists(_dll))
        {
            throw new FileNotFoundException($"Build the solution first: {_dll} is missing.");
        }
        var startInfo = new ProcessStartInfo("dotnet", [_dll])
        {
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in _environment)
        {
            startInfo.Environment[name] = value;
        }
        var process = _process = Process.Start(startInfo)!;
        // Its log, for reading after a failure: one file per process start.
        var log = new StreamWriter(Path.Combine(Path.GetTempPath(), $"{Path.GetFileNameWithoutExtension(_dll)}-{process.Id}.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Record(log, e.Data);
        process.ErrorDataReceived += (_, e) => Record(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await WaitUntilAliveAsync(process, http);
        }
        catch
        {
            await KillAsync(); // not left running, unseen, by a start that failed
            throw;
        }
    }

    private async Task WaitUntilAliveAsync(Process process, HttpClient http) =>
        await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Path.GetFileName(_dll)} exited with {process.ExitCode} while starting.");
            }
            try
            {
                return (await http.GetAsync(AppModelNames.AlivePath)).IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), $"{Path.GetFileName(_dll)} to start");

    /// <summary>SIGKILL: no shutdown code runs, whatever it was doing is cut off.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGSTOP: frozen as by a long GC pause or a stalled VM, its sockets left open, until <see cref="ResumeAsync"/>.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a paused process runs on.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    /// <summary>SIGTERM, as Kubernetes or systemd stop a service; returns its exit code once it has exited.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        await SignalAsync("TERM");
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Path.GetFileName(_dll)} did not exit within {timeout.TotalSeconds:0.#} s of SIGTERM.");
        }
        return process.ExitCode;
    }

    private async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} exited with {kill.ExitCode}.");
        }
    }

    /// <summary>Everything it has logged (warnings and worse), across its starts.</summary>
    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private void Record(StreamWriter log, string? line)
    {
        lock (_output)
        {
            log.WriteLine(line);
            _output.AppendLine(line);
        }
    }
}
