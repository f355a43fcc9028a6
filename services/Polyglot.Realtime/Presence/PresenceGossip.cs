using System.Collections.Concurrent;

namespace Polyglot.Realtime.Presence;

/// <summary>
/// Presence across replicas over the bus, with no server of its own: every
/// <see cref="PresenceOptions.Interval"/> each replica publishes, for each subscriber who joined
/// or left it since, how many subscriptions that subscriber holds on it now
/// (<see cref="ReplicaPresence"/>; sent even when empty, as a heartbeat) — counts, not steps, so
/// a message that overlaps a complete list or comes twice changes nothing — and takes in what the
/// others publish (<see cref="Heard"/>), so its hub's presence and presence watchers cover every
/// replica. A replica it has not heard before gets a complete list at the next announcement; one
/// silent for <see cref="PresenceOptions.ExpireAfter"/> is forgotten and its subscribers leave.
/// </summary>
public sealed partial class PresenceGossip(
    ChannelHub hub, IBus bus, IOptions<PresenceOptions> options, TimeProvider clock, ILogger<PresenceGossip> logger) : BackgroundService
{
    private readonly PresenceOptions _options = options.Value;
    private readonly ConcurrentDictionary<(HubChannel Channel, string SubscriberId), byte> _changed = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _heard = new();
    private int _announcements;
    private volatile bool _completeNext = true;

    /// <summary>This process, as the other replicas know it.</summary>
    public string Replica { get; } = ServiceInstance.NewId();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        hub.LocalPresenceChanged += Changed;
        try
        {
            using var timer = new PeriodicTimer(_options.Interval, clock);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await AnnounceAsync(stoppingToken);
                ForgetSilentReplicas();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            hub.LocalPresenceChanged -= Changed;
        }
    }

    /// <summary>What another replica announced (its own announcements come back too, and are skipped).</summary>
    public void Heard(ReplicaPresence presence)
    {
        if (presence.Replica == Replica)
        {
            return;
        }
        var now = clock.GetUtcNow();
        if (_heard.TryAdd(presence.Replica, now))
        {
            LogJoined(presence.Replica);
            _completeNext = true; // it has not heard everything from this one yet
        }
        else
        {
            _heard[presence.Replica] = now;
        }
        var channels = new Dictionary<HubChannel, IReadOnlyDictionary<string, int>>();
        foreach (var channel in presence.Channels)
        {
            if (HubChannel.TryParse(channel.Channel, out var parsed))
            {
                channels[parsed.Value] = channel.Subscribers;
            }
        }
        hub.UpdateReplica(presence.Replica, channels, presence.Complete);
    }

    private void Changed(PresenceChange change) => _changed[(change.Channel, change.SubscriberId)] = 0;

    private async Task AnnounceAsync(CancellationToken ct)
    {
        var complete = _completeNext || ++_announcements % _options.CompleteEvery == 0;
        _completeNext = false;
        var changed = new List<(HubChannel Channel, string SubscriberId)>();
        foreach (var key in _changed.Keys)
        {
            _changed.TryRemove(key, out _);
            changed.Add(key);
        }
        // Read after taking the changes: a change made meanwhile is in this count and comes again next time, which is harmless.
        var presence = new ReplicaPresence(Replica, complete, complete
            ? [.. hub.LocalChannels().Select(channel => new ChannelPresence(channel.Name, hub.LocalSubscribers(channel)))]
            : [.. changed.GroupBy(c => c.Channel, c => c.SubscriberId).Select(ids => new ChannelPresence(ids.Key.Name, hub.LocalSubscribers(ids.Key, ids)))]);
        try
        {
            await bus.Publish(presence, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            _completeNext = true; // what this one said may not have got through
            LogAnnounceFailed(ex);
        }
    }

    private void ForgetSilentReplicas()
    {
        var now = clock.GetUtcNow();
        foreach (var (replica, heard) in _heard)
        {
            if (now - heard > _options.ExpireAfter && _heard.TryRemove(new(replica, heard)))
            {
                LogForgotten(replica, (now - heard).TotalSeconds);
                hub.ForgetReplica(replica);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Presence: heard from replica {Replica}")]
    private partial void LogJoined(string replica);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence: replica {Replica} silent for {Seconds:0.0} s, its subscribers are gone")]
    private partial void LogForgotten(string replica, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence: announcing to the other replicas failed; the next announcement lists every channel")]
    private partial void LogAnnounceFailed(Exception exception);
}

/// <summary>Hands what the other replicas announce to <see cref="PresenceGossip"/>.</summary>
public sealed class ReplicaPresenceConsumer(PresenceGossip gossip) : IConsumer<ReplicaPresence>
{
    public Task Consume(ConsumeContext<ReplicaPresence> context)
    {
        gossip.Heard(context.Message);
        return Task.CompletedTask;
    }
}
