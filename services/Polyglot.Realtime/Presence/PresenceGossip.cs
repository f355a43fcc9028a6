using System.Collections.Concurrent;

namespace Polyglot.Realtime.Presence;

/// <summary>
/// Presence across replicas over the bus, with no server of its own: every
/// <see cref="PresenceOptions.Interval"/> each replica publishes, for each subscriber who joined
/// or left it since, how many subscriptions that subscriber holds on it now
/// (<see cref="ReplicaPresence"/>; sent even when empty, as a heartbeat) — counts, not steps, so
/// a message that overlaps a complete list or comes twice changes nothing — and takes in what the
/// others publish (<see cref="Heard"/>), so its hub's presence and presence watchers cover every
/// replica. Each announcement names the replicas whose complete list the sender holds; a replica
/// not named (new to it, or forgotten after a pause) sends its complete list next. One silent for
/// <see cref="PresenceOptions.ExpireAfter"/> is forgotten and its subscribers leave; one stopping
/// says it has nobody, so its subscribers leave the others at once.
/// </summary>
public sealed partial class PresenceGossip(
    ChannelHub hub, IBus bus, IOptions<PresenceOptions> options, TimeProvider clock, ILogger<PresenceGossip> logger) : BackgroundService
{
    private readonly PresenceOptions _options = options.Value;
    private readonly ConcurrentDictionary<(HubChannel Channel, string SubscriberId), byte> _changed = new();
    /// <summary>The other replicas: when each was last heard, and whether its complete list has come since it was (re)learnt. Under its own lock.</summary>
    private readonly Dictionary<string, (DateTimeOffset At, bool Complete)> _heard = [];
    /// <summary>Per replica, the list it is sending in parts, as far as it has come, and the part due next. Under <see cref="_heard"/>'s lock.</summary>
    private readonly Dictionary<string, (int Next, Dictionary<HubChannel, Dictionary<string, int>> Channels)> _parts = [];
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

    /// <summary>
    /// Stopping, after the hub has drained: tells the others this replica has nobody, rather than
    /// leave them to wait for its expiry — and waits no longer than that for the bus.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        expiry.CancelAfter(_options.ExpireAfter);
        try
        {
            await bus.Publish(new ReplicaPresence(Replica, Complete: true, Channels: [], HeardComplete()), expiry.Token);
        }
        catch (Exception ex)
        {
            LogLastWordLost(ex);
        }
    }

    /// <summary>What another replica announced (its own announcements come back too, and are skipped).</summary>
    public void Heard(ReplicaPresence presence)
    {
        if (presence.Replica == Replica)
        {
            return;
        }
        if (!presence.Heard.Contains(Replica))
        {
            _completeNext = true; // new to it, or it forgot this one: it has not got everyone here
        }
        lock (_heard)
        {
            var known = _heard.TryGetValue(presence.Replica, out var before);
            if (!known)
            {
                LogJoined(presence.Replica);
            }
            var whole = Gather(presence, out var lost);
            // A lost part leaves this one short of what the replica has, unless a complete list
            // has come whole: not naming it as heard complete makes it send its complete list next.
            _heard[presence.Replica] = (clock.GetUtcNow(), whole is not null && presence.Complete || !lost && before.Complete);
            if (whole is not null)
            {
                hub.UpdateReplica(presence.Replica, whole, presence.Complete);
            }
        }
    }

    /// <summary>
    /// The list <paramref name="presence"/> ends, once its last part is in; null until then, and
    /// when a part is missing before it (the parts so far are dropped). <paramref name="lost"/>:
    /// a part is missing, before this one or at the end of the list before.
    /// </summary>
    private Dictionary<HubChannel, IReadOnlyDictionary<string, int>>? Gather(ReplicaPresence presence, out bool lost)
    {
        var unfinished = _parts.Remove(presence.Replica, out var started);
        var sofar = presence.Part == 1 ? [] : unfinished && started.Next == presence.Part ? started.Channels : null;
        lost = sofar is null || presence.Part == 1 && unfinished;
        if (lost)
        {
            LogPartLost(presence.Replica, presence.Part, presence.Parts);
        }
        if (sofar is null)
        {
            return null;
        }
        foreach (var channel in presence.Channels)
        {
            if (HubChannel.TryParse(channel.Channel, out var parsed))
            {
                if (!sofar.TryGetValue(parsed.Value, out var subscribers))
                {
                    sofar[parsed.Value] = subscribers = [];
                }
                foreach (var (subscriberId, subscriptions) in channel.Subscribers)
                {
                    subscribers[subscriberId] = subscriptions;
                }
            }
        }
        if (presence.Part < presence.Parts)
        {
            _parts[presence.Replica] = (presence.Part + 1, sofar);
            return null;
        }
        return sofar.ToDictionary(channel => channel.Key, channel => (IReadOnlyDictionary<string, int>)channel.Value);
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
        var parts = InParts(complete
            ? hub.LocalChannels().Select(channel => new ChannelPresence(channel.Name, hub.LocalSubscribers(channel)))
            : changed.GroupBy(c => c.Channel, c => c.SubscriberId).Select(ids => new ChannelPresence(ids.Key.Name, hub.LocalSubscribers(ids.Key, ids))), _options.MaxMessageBytes);
        var heard = HeardComplete();
        // MassTransit holds a publish while the broker is away: an interval at most, so that the
        // schedule goes on and the replicas silent meanwhile are forgotten at their expiry.
        using var late = new CancellationTokenSource(_options.Interval, clock);
        using var publishing = CancellationTokenSource.CreateLinkedTokenSource(ct, late.Token);
        try
        {
            for (var part = 1; part <= parts.Count; part++)
            {
                await bus.Publish(new ReplicaPresence(Replica, complete, parts[part - 1], heard, part, parts.Count), publishing.Token);
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            _completeNext = true; // what this one said may not have got through
            LogAnnounceFailed(ex);
        }
    }

    /// <summary>
    /// The channels in parts of about <paramref name="maxBytes"/> of ids and names each (at least
    /// one part, maybe empty: the heartbeat), a channel split across parts when it has more.
    /// </summary>
    private static List<List<ChannelPresence>> InParts(IEnumerable<ChannelPresence> channels, int maxBytes)
    {
        List<List<ChannelPresence>> parts = [[]];
        var bytes = 0;
        foreach (var channel in channels)
        {
            Dictionary<string, int>? inPart = null;
            foreach (var (subscriberId, subscriptions) in channel.Subscribers)
            {
                var size = subscriberId.Length + 16; // with its quotes, count and separators
                if (bytes > 0 && bytes + size > maxBytes)
                {
                    parts.Add([]);
                    (bytes, inPart) = (0, null);
                }
                if (inPart is null)
                {
                    inPart = [];
                    parts[^1].Add(new ChannelPresence(channel.Channel, inPart));
                    bytes += channel.Channel.Length + 32;
                }
                inPart[subscriberId] = subscriptions;
                bytes += size;
            }
        }
        return parts;
    }

    /// <summary>The replicas whose complete list this one holds.</summary>
    private List<string> HeardComplete()
    {
        lock (_heard)
        {
            return [.. _heard.Where(other => other.Value.Complete).Select(other => other.Key)];
        }
    }

    private void ForgetSilentReplicas()
    {
        var now = clock.GetUtcNow();
        lock (_heard)
        {
            foreach (var (replica, heard) in _heard.Where(other => now - other.Value.At > _options.ExpireAfter).ToList())
            {
                _heard.Remove(replica);
                _parts.Remove(replica);
                LogForgotten(replica, (now - heard.At).TotalSeconds);
                hub.ForgetReplica(replica);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Presence: heard from replica {Replica}")]
    private partial void LogJoined(string replica);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence: replica {Replica} silent for {Seconds:0.0} s, its subscribers are gone")]
    private partial void LogForgotten(string replica, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Presence: part {Part} of {Parts} from replica {Replica} came, but not the one before it (this replica started since, or a part was lost); what is missing comes with the replica's complete list, which it is asked for")]
    private partial void LogPartLost(string replica, int part, int parts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence: announcing to the other replicas failed; the next announcement lists every channel")]
    private partial void LogAnnounceFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Presence: could not tell the other replicas that this one is stopping; its subscribers leave them when it expires")]
    private partial void LogLastWordLost(Exception exception);
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
