using System.ComponentModel;
using System.Diagnostics;
using Grpc.Core;
using Polyglot.Contracts.Realtime.V1;
using Spectre.Console;
using Spectre.Console.Cli;

using RealtimeClient = Polyglot.Contracts.Realtime.V1.Realtime.RealtimeClient;

namespace Polyglot.Bench;

public sealed class HoldSettings : TargetSettings
{
    [CommandOption("-n|--subscriptions <N>"), Description("Subscriptions to open and hold.")]
    public int Subscriptions { get; init; } = 10_000;

    [CommandOption("-m|--connections <M>"), Description("HTTP/2 connections the gRPC streams share.")]
    public int Connections { get; init; } = 10;

    [CommandOption("--channels <C>"), Description("Distinct board channels the subscriptions spread over.")]
    public int Channels { get; init; } = 100;

    [CommandOption("--hold <SECONDS>"), Description("How long to hold them open before measuring.")]
    public int HoldSeconds { get; init; } = 5;

    public override ValidationResult Validate() =>
        Subscriptions < 1 || Connections < 1 || Channels < 1 || HoldSeconds < 0
            ? ValidationResult.Error("--subscriptions, --connections and --channels must be positive, --hold 0 or more.")
            : ValidationResult.Success();
}

/// <summary>
/// Idle subscriptions: what holding one costs realtime. Memory figures are realtime's own
/// (working set and GC heap, after a full collection) before and after, divided by N.
/// </summary>
public sealed class HoldCommand : AsyncCommand<HoldSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, HoldSettings settings, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        await using var target = await Target.OpenAsync(settings, ct);
        var before = await RealtimeStats.ReadAsync(target, collect: true, ct);
        var channels = Enumerable.Range(0, settings.Channels).Select(_ => $"board:{Guid.NewGuid()}").ToArray();
        var connections = Connections.Open(target.RealtimeGrpc, settings.Connections);
        var clients = connections.Select(c => new RealtimeClient(c)).ToArray();
        var calls = new List<AsyncServerStreamingCall<SubscribeResponse>>(settings.Subscriptions);
        using var hold = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var opening = Stopwatch.StartNew();
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"Opening {settings.Subscriptions:N0} subscriptions over {settings.Connections} connections", maxValue: settings.Subscriptions);
            // A bounded number in flight: opening 100,000 at once would only queue in the client.
            using var gate = new SemaphoreSlim(1000);
            var opened = Enumerable.Range(0, settings.Subscriptions).Select(async i =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    var call = clients[i % clients.Length].Subscribe(new SubscribeRequest { Channel = channels[i % channels.Length] }, cancellationToken: hold.Token);
                    if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.MessageCase != SubscribeResponse.MessageOneofCase.Subscribed)
                    {
                        throw new InvalidOperationException("A subscription did not confirm.");
                    }
                    lock (calls)
                    {
                        calls.Add(call);
                    }
                    task.Increment(1);
                }
                finally
                {
                    gate.Release();
                }
            });
            await Task.WhenAll(opened);
        });
        opening.Stop();

        await AnsiConsole.Status().StartAsync($"Holding for {settings.HoldSeconds} s", _ => Task.Delay(TimeSpan.FromSeconds(settings.HoldSeconds), ct));
        var after = await RealtimeStats.ReadAsync(target, collect: true, ct);
        var held = after.Subscriptions - before.Subscriptions;

        await hold.CancelAsync();
        foreach (var call in calls)
        {
            call.Dispose();
        }
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        await new Result(
            "hold",
            started,
            CommandLine(),
            Machine.Current(),
            new Dictionary<string, object>
            {
                ["subscriptions"] = settings.Subscriptions,
                ["connections"] = settings.Connections,
                ["channels"] = settings.Channels,
                ["holdSeconds"] = settings.HoldSeconds,
                ["realtime"] = target.Bus is null ? "app host" : "started by the benchmark",
            },
            new Dictionary<string, double>
            {
                ["subscriptionsHeld"] = held,
                ["openSeconds"] = opening.Elapsed.TotalSeconds,
                ["subscriptionsOpenedPerSecond"] = settings.Subscriptions / opening.Elapsed.TotalSeconds,
                ["serverWorkingSetBytesPerSubscription"] = (after.WorkingSetBytes - before.WorkingSetBytes) / (double)held,
                ["serverGcHeapBytesPerSubscription"] = (after.GcHeapBytes - before.GcHeapBytes) / (double)held,
                ["serverWorkingSetMiBBefore"] = before.WorkingSetBytes / 1048576.0,
                ["serverWorkingSetMiBAfter"] = after.WorkingSetBytes / 1048576.0,
                ["clientWorkingSetMiB"] = Environment.WorkingSet / 1048576.0,
            }).SaveAndShowAsync(settings.Out);
        return held == settings.Subscriptions ? 0 : 1;
    }

    internal static string CommandLine() => "dotnet run -c Release --project bench/Polyglot.Bench -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
}
