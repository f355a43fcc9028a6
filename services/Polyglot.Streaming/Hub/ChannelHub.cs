using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polyglot.Contracts.Events.V1;

namespace Polyglot.Streaming.Hub;

/// <summary>
/// The transport-free core: channels, their subscribers, the fan-out of events in position
/// order, and resuming. The transports (gRPC, WebSocket, SSE) only adapt a
/// <see cref="Subscription"/>.
/// </summary>
/// <remarks>
/// <see cref="Publish"/> finds the channels' subscribers under the lock and fans out without
/// it (<see cref="ChannelSubscribers"/>), so a publish to 10,000 subscribers never blocks a
/// subscribe; one who joins meanwhile and gets the event anyway drops it by position. So one
/// event at a time is published: <see cref="ReceiveAsync"/> waits for the one before to be
/// fanned out, whoever calls it (Dapr delivers a batch again while its first delivery still runs).
/// </remarks>
public sealed partial class ChannelHub
{
    private const string DrainingMessage =
        "This server is shutting down: reconnect, to another replica if there is one, and resume after the last position you received.";

    private readonly Lock _lock = new();
    // Positions are fanned out one at a time: one overtaken on its way to a subscriber is skipped by it.
    private readonly SemaphoreSlim _receiving = new(1, 1);
    private readonly Dictionary<HubChannel, ChannelSubscribers> _channels = [];
    private readonly RecentRemovals _removals;
    private readonly OtherReplicas _others = new();
    private readonly History _history;
    private readonly IEventLog _eventLog;
    private readonly int _queueCapacity;
    private readonly ILogger<ChannelHub> _logger;
    private long _head;
    private bool _open;
    private bool _draining;

    public ChannelHub(IOptions<HubOptions> options, IEventLog eventLog, TimeProvider clock, HubMetrics metrics, ILogger<ChannelHub> logger)
    {
        _history = new History(options.Value.HistorySize, options.Value.HistoryMaxAge, clock);
        _removals = new RecentRemovals(clock);
        _eventLog = eventLog;
        _queueCapacity = options.Value.SubscriberQueueCapacity;
        WriteDelay = options.Value.WriteDelay;
        Clock = clock;
        Metrics = metrics;
        _logger = logger;
        metrics.ObserveQueues(() => Subscriptions().Select(s => s.QueueDepth));
    }

    internal HubMetrics Metrics { get; }

    /// <summary><see cref="HubOptions.WriteDelay"/>.</summary>
    internal TimeSpan WriteDelay { get; }

    internal TimeProvider Clock { get; }

    /// <summary>Raised, outside the hub's lock, after a subscription joined or left a channel here: what the other replicas need to hear.</summary>
    public event Action<PresenceChange>? LocalPresenceChanged;

    /// <summary>Subscriptions held right now, on every channel.</summary>
    public int SubscriptionCount
    {
        get { lock (_lock) { return _channels.Values.Sum(s => s.Count); } }
    }

    /// <summary>Taking subscribers: opened, and not draining.</summary>
    public bool IsOpen
    {
        get { lock (_lock) { return _open && !_draining; } }
    }

    /// <summary>The last position fanned out; 0 before the first event.</summary>
    public long Head
    {
        get { lock (_lock) { return _head; } }
    }

    public Subscription Subscribe(HubChannel channel, long? afterPosition = null) => Subscribe(new SubscriptionRequest(channel, afterPosition));

    /// <summary>
    /// Subscribes to the channel's events after the request's position (a resume), or from now
    /// on when it has none. What the subscriber missed comes from the in-memory history when it
    /// still holds it all, else from the event log. The channel's presence watchers hear of it.
    /// </summary>
    /// <exception cref="SubscriptionEndedException">
    /// Starting (the hub is not open yet), draining, or forbidden: its member was removed from
    /// the board after the membership was checked.
    /// </exception>
    public Subscription Subscribe(SubscriptionRequest request)
    {
        Subscription subscription;
        ChannelSubscribers subscribers;
        PresenceChange joined;
        bool? fromHistory = null; // null: live only, nothing to catch up
        lock (_lock)
        {
            if (_draining)
            {
                throw new SubscriptionEndedException(EndReason.Draining,
                    DrainingMessage);
            }
            if (!_open)
            {
                throw new SubscriptionEndedException(EndReason.Starting,
                    "This server is still starting: retry in a moment, and resume after the last position you received.");
            }
            var channel = request.Channel;
            if (request.Member is { } member && _removals.WasRemoved(channel, member))
            {
                throw RemovedFrom(channel);
            }
            if (request.AfterPosition is not { } after)
            {
                subscription = new Subscription(this, request, _head, catchUp: null, _queueCapacity);
            }
            else
            {
                fromHistory = _history.TryReplay(channel, after, out var missed);
                // The catch-up ends at the head fanned out so far: every later event comes live,
                // where a member's removal ends the stream before anything after it.
                var upTo = _head;
                subscription = fromHistory == true
                    ? new Subscription(this, request, after, ct => Replay(missed, ct), _queueCapacity)
                    : new Subscription(this, request, after, ct => _eventLog.ReadAfterAsync(channel, after, ct).TakeWhile(e => e.Position <= upTo), _queueCapacity);
            }
            if (!_channels.TryGetValue(channel, out subscribers!))
            {
                _channels[channel] = subscribers = new ChannelSubscribers();
            }
            subscribers.Add(subscription);
            joined = new PresenceChange(channel, subscription.SubscriberId, joined: true, subscribers.Count + _others.Count(channel));
            subscribers.Queue(joined, subscription);
        }
        Metrics.Subscribed(request.Transport);
        if (fromHistory is { } history)
        {
            Metrics.CaughtUp(history);
        }
        subscribers.Announce();
        LocalPresenceChanged?.Invoke(joined);
        return subscription;
    }

    /// <summary>Who is subscribed to the channel right now: here, and on the other replicas as they last said (<see cref="UpdateReplica"/>).</summary>
    public Presence GetPresence(HubChannel channel)
    {
        lock (_lock)
        {
            var here = _channels.GetValueOrDefault(channel);
            return new Presence(channel, (here?.Count ?? 0) + _others.Count(channel),
                [.. (here?.BySubscriber.Keys ?? []).Concat(_others.SubscriberIds(channel)).Distinct().Order(StringComparer.Ordinal)]);
        }
    }

    /// <summary>The channels with subscribers on this hub.</summary>
    public IReadOnlyList<HubChannel> LocalChannels()
    {
        lock (_lock)
        {
            return [.. _channels.Keys];
        }
    }

    /// <summary>
    /// Subscriptions on this hub alone, per subscriber id: of <paramref name="subscriberIds"/>
    /// (0 for one with none any more), or of everyone on the channel when null.
    /// </summary>
    public IReadOnlyDictionary<string, int> LocalSubscribers(HubChannel channel, IEnumerable<string>? subscriberIds = null)
    {
        lock (_lock)
        {
            var here = _channels.GetValueOrDefault(channel)?.BySubscriber ?? new Dictionary<string, int>();
            return subscriberIds is null ? new Dictionary<string, int>(here) : subscriberIds.Distinct().ToDictionary(id => id, id => here.GetValueOrDefault(id));
        }
    }

    /// <summary>
    /// What another replica says it has: per channel, subscriber id → its subscriptions there now
    /// (0: none any more). Subscribers it does not name are as it said before — unless
    /// <paramref name="complete"/>, when it has named everyone it has. Presence here counts them,
    /// and the watchers here hear each join and leave.
    /// </summary>
    public void UpdateReplica(string replica, IReadOnlyDictionary<HubChannel, IReadOnlyDictionary<string, int>> channels, bool complete)
    {
        var toAnnounce = new HashSet<ChannelSubscribers>();
        lock (_lock)
        {
            if (complete)
            {
                foreach (var channel in _others.ChannelsOf(replica))
                {
                    var named = channels.GetValueOrDefault(channel);
                    foreach (var gone in _others.On(replica, channel).Keys.Where(id => named?.ContainsKey(id) != true).ToList())
                    {
                        SetReplica(replica, channel, gone, 0, toAnnounce);
                    }
                }
            }
            foreach (var (channel, subscribers) in channels)
            {
                foreach (var (subscriberId, subscriptions) in subscribers)
                {
                    SetReplica(replica, channel, subscriberId, subscriptions, toAnnounce);
                }
            }
        }
        foreach (var subscribers in toAnnounce)
        {
            subscribers.Announce();
        }
    }

    /// <summary>A replica gone: its subscribers leave, and the watchers here hear it.</summary>
    public void ForgetReplica(string replica) => UpdateReplica(replica, new Dictionary<HubChannel, IReadOnlyDictionary<string, int>>(), complete: true);

    /// <summary>Under the lock: records one subscriber's subscriptions on a replica, and queues the presence changes that makes for the watchers here, one per subscription.</summary>
    private void SetReplica(string replica, HubChannel channel, string subscriberId, int subscriptions, HashSet<ChannelSubscribers> toAnnounce)
    {
        var here = _channels.GetValueOrDefault(channel);
        var count = (here?.Count ?? 0) + _others.Count(channel);
        var change = _others.Set(replica, channel, subscriberId, subscriptions);
        for (var i = 0; i < Math.Abs(change); i++)
        {
            count += Math.Sign(change);
            if (here is not null)
            {
                here.Queue(new PresenceChange(channel, subscriberId, joined: change > 0, count), about: null);
                toAnnounce.Add(here);
            }
        }
    }

    /// <summary>
    /// Takes the next event from the bus. A position already seen is dropped; one that skips
    /// positions (a message lost or overtaken on the way) first has the positions in between read
    /// from the event log and fanned out (<see cref="FillAsync"/>), so subscribers get every
    /// position, in order.
    /// </summary>
    public async Task ReceiveAsync(HubEvent hubEvent, CancellationToken ct)
    {
        await _receiving.WaitAsync(ct);
        try
        {
            long head;
            bool known;
            lock (_lock)
            {
                head = _head;
                // Before the hub opens, a head of 0 means not learnt yet (OpenAsync learns it), not an empty log.
                known = _open || head != 0;
            }
            if (known && hubEvent.Position > head + 1)
            {
                LogGap(head, hubEvent.Position);
                await FillAsync(head, hubEvent.Position - 1, ct);
            }
            Publish(hubEvent);
        }
        finally
        {
            _receiving.Release();
        }
    }

    /// <summary>
    /// Reads from the event log the positions up to <paramref name="upTo"/> that were published and
    /// have not come: a loss at the end of the stream, which no later event shows as a gap
    /// (<see cref="HeadCheck"/>). Nothing while the hub is closed: opening learns the head.
    /// </summary>
    public async Task CatchUpToAsync(long upTo, CancellationToken ct)
    {
        await _receiving.WaitAsync(ct);
        try
        {
            long head;
            lock (_lock)
            {
                head = _head;
                if (!_open || upTo <= head)
                {
                    return;
                }
            }
            LogTailMissing(head, upTo);
            await FillAsync(head, upTo, ct);
        }
        finally
        {
            _receiving.Release();
        }
    }

    /// <summary>
    /// Fans out the event log's positions after <paramref name="head"/> up to <paramref name="upTo"/>.
    /// When the log no longer holds them (pruned while they were on their way), every stream begun
    /// before them ends as <see cref="EndReason.HistoryLost"/> and the feed goes on after them.
    /// Under <see cref="_receiving"/>.
    /// </summary>
    private async Task FillAsync(long head, long upTo, CancellationToken ct)
    {
        try
        {
            await foreach (var missed in _eventLog.ReadAfterAsync(HubChannel.All, head, ct))
            {
                if (missed.Position > upTo)
                {
                    break;
                }
                Publish(missed);
            }
        }
        catch (SubscriptionEndedException pruned) when (pruned.Reason == EndReason.HistoryLost)
        {
            // No retry brings the positions back, so no stream open now that started before
            // them can have them: each is told (its reader re-reads the state), and the feed
            // goes on after the gap rather than failing every later event on it. A stream
            // opened from here on starts after the gap, and history replays nothing from
            // before it. The watchers among them, ended too, are not told of each other's
            // leaving; those already past the gap, who go on, are: every one is off its
            // channel before any leave is queued, in the same hold of the lock, so neither
            // one ended with it nor one joining after hears it.
            var message = $"Positions {head + 1} to {upTo} never reached this server and the event log no longer holds them: re-read the state, then subscribe live.";
            List<(Subscription Subscription, ChannelSubscribers Subscribers, PresenceChange Left)> lost = [];
            lock (_lock)
            {
                _head = upTo;
                _history.Restart(_head);
                foreach (var subscription in _channels.Values.SelectMany(c => c.All).Where(s => s.StartPosition < _head).ToList())
                {
                    if (TakeOff(subscription) is { } gone)
                    {
                        lost.Add((subscription, gone.Subscribers, gone.Left));
                    }
                }
                foreach (var (subscription, subscribers, left) in _draining ? [] : lost)
                {
                    subscribers.Queue(left, subscription);
                }
            }
            // All ended before any is told of: off their channels, none could be ended later.
            foreach (var (subscription, _, _) in lost)
            {
                subscription.End(new SubscriptionEndedException(EndReason.HistoryLost, message)); // off its channel already: the stream alone
            }
            foreach (var (subscription, subscribers, left) in lost)
            {
                Gone(subscription, subscribers, left);
            }
            LogGapLost(head, upTo + 1);
        }
    }

    /// <summary>
    /// Fans one event out to its board's channel and the firehose; drops a position already seen.
    /// One caller at a time (<see cref="ReceiveAsync"/>, <see cref="CatchUpToAsync"/>).
    /// A member's removal then ends that member's streams of the board, after the event itself.
    /// </summary>
    public void Publish(HubEvent hubEvent)
    {
        ChannelSubscribers? board, all;
        var removed = hubEvent.Event.PayloadCase == IntegrationEvent.PayloadOneofCase.MemberRemoved ? hubEvent.Event.MemberRemoved.Member?.Subject : null;
        lock (_lock)
        {
            if (hubEvent.Position <= _head)
            {
                LogDuplicate(hubEvent.Position, _head);
                return;
            }
            // Only when the event log could not fill a gap (see FillAsync) is the feed not contiguous.
            var contiguous = hubEvent.Position == _head + 1 || (_head == 0 && !_open);
            _head = hubEvent.Position;
            _history.Append(hubEvent, contiguous);
            board = _channels.GetValueOrDefault(hubEvent.Channel);
            all = _channels.GetValueOrDefault(HubChannel.All);
            if (removed is not null)
            {
                _removals.Add(hubEvent.Channel, removed);
            }
            else if (hubEvent.Event.PayloadCase == IntegrationEvent.PayloadOneofCase.MemberSet)
            {
                _removals.Forget(hubEvent.Channel, hubEvent.Event.MemberSet.Member?.Subject ?? "");
            }
        }

        board?.Deliver(hubEvent);
        all?.Deliver(hubEvent);
        if (removed is not null && board is not null)
        {
            foreach (var subscription in board.All.Where(s => s.Member == removed).ToList())
            {
                subscription.End(RemovedFrom(hubEvent.Channel));
            }
        }
    }

    private static SubscriptionEndedException RemovedFrom(HubChannel channel) => new(EndReason.Forbidden,
        $"You were removed from board {channel.BoardId}: its events are no longer yours to read.");

    /// <summary>A catch-up from the history, which stops when its stream ends (a list's own async view would write it all first).</summary>
    private static async IAsyncEnumerable<HubEvent> Replay(List<HubEvent> missed, [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var hubEvent in missed)
        {
            ct.ThrowIfCancellationRequested();
            yield return hubEvent;
        }
    }

    /// <summary>
    /// Opens the hub to subscribers once its source of events is live (the host says when: the
    /// split once its queue is bound and consuming, the monolith at start): learns the head of the
    /// event log, retrying until the log answers, so that a live subscription's <c>subscribed</c>
    /// position is true from the first subscriber on — every later event follows, because each one
    /// either arrives live or, when positions skip, is read from the log. Until then subscribers
    /// are refused (<see cref="EndReason.Starting"/>).
    /// </summary>
    public async Task OpenAsync(CancellationToken ct)
    {
        var retry = new ResiliencePipelineBuilder<long>()
            .AddRetry(new RetryStrategyOptions<long>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is SubscriptionEndedException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
                OnRetry = args =>
                {
                    LogHeadUnavailable(args.Outcome.Exception, args.RetryDelay);
                    return default;
                },
            })
            .Build();
        var logHead = await retry.ExecuteAsync(async token => await _eventLog.ReadHeadAsync(token), ct);
        // Not while an event is taken: one that found the hub closed (no head known, so no gap to
        // read) would otherwise be fanned out after a head learnt meanwhile, skipping the positions between.
        await _receiving.WaitAsync(ct);
        try
        {
            lock (_lock)
            {
                if (logHead > _head)
                {
                    // Events up to the log's head may be in flight on the way here: they will be
                    // dropped as seen, so the history holds nothing before it.
                    _head = logHead;
                    _history.Restart(logHead);
                }
                _open = true;
            }
        }
        finally
        {
            _receiving.Release();
        }
        LogOpened(_head);
    }

    /// <summary>
    /// Shutting down: refuses new subscribers and ends every stream with
    /// <see cref="EndReason.Draining"/>, which each transport turns into "reconnect elsewhere and
    /// resume", so the host's graceful shutdown is not held up by long-lived streams.
    /// </summary>
    public void Drain()
    {
        List<Subscription> subscriptions;
        lock (_lock)
        {
            _draining = true;
            subscriptions = [.. _channels.Values.SelectMany(s => s.All)];
        }
        End(subscriptions, EndReason.Draining, DrainingMessage);
        LogDrained(subscriptions.Count);
    }

    /// <summary>
    /// Ends each stream with an exception of its own (its reader throws it, on a thread of its own),
    /// telling no watcher here: they are all being ended.
    /// </summary>
    private static void End(List<Subscription> subscriptions, EndReason reason, string message)
    {
        foreach (var subscription in subscriptions)
        {
            subscription.End(new SubscriptionEndedException(reason, message), announce: false);
        }
    }

    /// <param name="announce">Whether the watchers here hear it leave (never while draining: they are being ended too).</param>
    internal void Unsubscribe(Subscription subscription, bool announce = true)
    {
        (ChannelSubscribers Subscribers, PresenceChange Left)? gone;
        lock (_lock)
        {
            gone = TakeOff(subscription);
            if (gone is { } queued && announce && !_draining)
            {
                queued.Subscribers.Queue(queued.Left, subscription);
            }
        }
        if (gone is { } taken)
        {
            Gone(subscription, taken.Subscribers, taken.Left);
        }
    }

    /// <summary>Under the lock: takes the stream off its channel, and says what it leaves; null when it was off already.</summary>
    private (ChannelSubscribers Subscribers, PresenceChange Left)? TakeOff(Subscription subscription)
    {
        if (!_channels.TryGetValue(subscription.Channel, out var subscribers) || !subscribers.Remove(subscription))
        {
            return null;
        }
        if (subscribers.Count == 0)
        {
            _channels.Remove(subscription.Channel);
        }
        return (subscribers, new PresenceChange(subscription.Channel, subscription.SubscriberId, joined: false, subscribers.Count + _others.Count(subscription.Channel)));
    }

    /// <summary>Outside the lock, once taken off: counted gone, its leave told to the watchers (if queued) and the other replicas.</summary>
    private void Gone(Subscription subscription, ChannelSubscribers subscribers, PresenceChange left)
    {
        Metrics.Unsubscribed(subscription.Transport);
        subscribers.Announce();
        LocalPresenceChanged?.Invoke(left);
    }

    /// <summary>Sends <paramref name="message"/> to every stream of <paramref name="transport"/> that has nothing queued.</summary>
    internal void DeliverToIdle(Transport transport, HubMessage message)
    {
        foreach (var subscription in Subscriptions())
        {
            if (subscription.Transport == transport)
            {
                subscription.DeliverIfIdle(message);
            }
        }
    }

    /// <summary>Every subscription, enumerated outside the lock (those joining or leaving meanwhile may or may not be among them).</summary>
    private IEnumerable<Subscription> Subscriptions()
    {
        ChannelSubscribers[] channels;
        lock (_lock)
        {
            channels = [.. _channels.Values];
        }
        return channels.SelectMany(c => c.All);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking subscribers: live streams start after position {Head}")]
    private partial void LogOpened(long head);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the event log's head yet; retrying in {RetryDelay}")]
    private partial void LogHeadUnavailable(Exception? exception, TimeSpan retryDelay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: ended {Count} subscriptions")]
    private partial void LogDrained(int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped position {Position}: already at {Head}")]
    private partial void LogDuplicate(long position, long head);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Received position {Position} after {Head}: reading the positions in between from the event log")]
    private partial void LogGap(long head, long position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The positions after {Head} up to {UpTo} were published a head check ago and have not come: reading them from the event log")]
    private partial void LogTailMissing(long head, long upTo);

    [LoggerMessage(Level = LogLevel.Error, Message = "The event log no longer holds the positions between {Head} and {Position}: every stream was ended as history lost, and the feed goes on from {Position}")]
    private partial void LogGapLost(long head, long position);
}
