using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Polyglot.Testing;

/// <summary>
/// Everything a service logs (give it <see cref="Register"/> and a Trace log level) and every
/// activity this process records, for asserting that no secret reaches either.
/// </summary>
public sealed class TelemetryRecorder : IDisposable
{
    private readonly FakeLoggerProvider _logs = new();
    private readonly List<Activity> _activities = [];
    private readonly ActivityListener _listener;

    public TelemetryRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (_activities)
                {
                    _activities.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>
    /// Settings that make a service log everything, the categories its appsettings quiet included,
    /// and once more for the recorder's provider by name (Fake): a rule naming a provider outranks
    /// every rule that names none.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> TraceEverything =>
    [
        new("Logging:LogLevel:Default", "Trace"),
        new("Logging:Fake:LogLevel:Default", "Trace"),
        new("Logging:LogLevel:Microsoft.AspNetCore", "Trace"),
        new("Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command", "Trace"),
    ];

    public void Register(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(_logs);

    /// <summary>Whether a log line of <paramref name="category"/> and a request's activity were recorded: what a search for secrets needs first.</summary>
    public bool Recorded(string category) =>
        _logs.Collector.GetSnapshot().Any(r => r.Category?.StartsWith(category, StringComparison.Ordinal) == true)
        && Activities().Any(a => a.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn");

    /// <summary>Every log line and activity (as text) in which one of <paramref name="secrets"/> appears.</summary>
    public IReadOnlyList<string> Leaks(params string[] secrets)
    {
        var logged = _logs.Collector.GetSnapshot()
            .Select(r => $"{r.Level} {r.Category}: {r.Message} {string.Join(' ', r.StructuredState?.Select(s => s.Value) ?? [])} {r.Exception}");
        var traced = Activities().Select(a => $"{a.OperationName}: {a.DisplayName} {a.StatusDescription} {string.Join(' ', a.TagObjects.Select(t => t.Value))} "
            + string.Join(' ', a.Events.SelectMany(e => e.Tags.Select(t => t.Value))));
        return [.. logged.Concat(traced).Where(text => secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal)))];
    }

    private List<Activity> Activities()
    {
        lock (_activities)
        {
            return [.. _activities];
        }
    }

    public void Dispose() => _listener.Dispose();
}
