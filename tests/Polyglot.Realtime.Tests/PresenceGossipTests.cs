using System.Collections.Concurrent;
using System.Reflection;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polyglot.Contracts.Events;
using Polyglot.Realtime.Presence;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// How a replica takes in another's list sent in parts, and what it asks for when one is missing.
/// The bus here only records what the replica publishes (the real broker's part is in
/// RealtimeProcessTests); the hub is the real one.
/// </summary>
public sealed class PresenceGossipTests : IAsyncDisposable
{
    private static readonly HubChannel Board = HubChannel.ForBoard(Guid.CreateVersion7());
    private readonly TimerCountingClock _clock = new();
    private readonly ChannelHub _hub;
    private readonly RecordingBus _bus;
    private readonly PresenceGossip _gossip;

    public PresenceGossipTests()
    {
        _hub = new ChannelHub(Options.Create(new HubOptions()), null!, _clock,
            new HubMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<ChannelHub>.Instance);
        var bus = DispatchProxy.Create<IBus, RecordingBus>();
        _bus = (RecordingBus)(object)bus;
        _gossip = new PresenceGossip(_hub, bus, Options.Create(new PresenceOptions()), _clock, NullLogger<PresenceGossip>.Instance);
    }

    [Fact]
    public async Task AListIsTakenInOnceItsLastPartIsInAndAMissingPartDropsItAndAsksForTheCompleteList()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(10));
        await StartAsync(timeout.Token);

        // A complete list in two parts: nobody counted until the second is in, then both.
        _gossip.Heard(Part("r2", complete: true, 1, 2, "ann"));
        Assert.Equal(0, _hub.GetPresence(Board).Count);
        _gossip.Heard(Part("r2", complete: true, 2, 2, "bob"));
        Assert.Equal(["ann", "bob"], _hub.GetPresence(Board).SubscriberIds);
        Assert.Equal(["r2"], (await AnnouncedAsync(timeout.Token)).Heard);

        // Changes in three parts, the last never heard: the next list begins. What the lost one
        // said is missing here, so r2 is no longer named as heard complete, and sends everyone next.
        _gossip.Heard(Part("r2", complete: false, 1, 3, "cy"));
        _gossip.Heard(Part("r2", complete: false, 2, 3, "dan"));
        _gossip.Heard(Part("r2", complete: false, 1, 1, "eve"));
        Assert.Equal(["ann", "bob", "eve"], _hub.GetPresence(Board).SubscriberIds);
        Assert.Empty((await AnnouncedAsync(timeout.Token)).Heard);

        // Its complete list, whole again; then a part that comes without the one before it.
        _gossip.Heard(Part("r2", complete: true, 1, 1, "ann"));
        Assert.Equal(["r2"], (await AnnouncedAsync(timeout.Token)).Heard);
        _gossip.Heard(Part("r2", complete: false, 2, 2, "fay"));
        Assert.Equal(["ann"], _hub.GetPresence(Board).SubscriberIds);
        Assert.Empty((await AnnouncedAsync(timeout.Token)).Heard);
    }

    [Fact]
    public async Task WhileTheBusHoldsItsAnnouncementsAReplicaStillForgetsTheOthersSilentPastTheirExpiry()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(10));
        await StartAsync(timeout.Token);
        _gossip.Heard(Part("r2", complete: true, 1, 1, "ann"));
        Assert.Equal(1, _hub.GetPresence(Board).Count);

        // The broker away (and r2 killed meanwhile): every announcement is held.
        _bus.Holding = true;
        try
        {
            await Wait.UntilAsync(() =>
            {
                _clock.Advance(new PresenceOptions().Interval);
                return Task.FromResult(_hub.GetPresence(Board).Count == 0);
            }, TimeSpan.FromSeconds(5), "r2's subscriber to leave once r2 is silent past its expiry");
            Assert.True(_bus.Held >= 2, $"{_bus.Held} announcements held"); // the first gave up, and the schedule went on
            Assert.True(_clock.GetUtcNow() - _clock.Start >= new PresenceOptions().ExpireAfter);
        }
        finally
        {
            _bus.Holding = false;
        }
    }

    /// <summary>Starts the replica's gossip, and returns once its announcements' timer is there to advance.</summary>
    private async Task StartAsync(CancellationToken ct)
    {
        await _gossip.StartAsync(ct);
        await Wait.UntilAsync(() => Task.FromResult(_clock.Timers > 0), TimeSpan.FromSeconds(5), "the announcements' timer");
    }

    private static ReplicaPresence Part(string replica, bool complete, int part, int parts, string subscriberId) =>
        new(replica, complete, [new ChannelPresence(Board.Name, new Dictionary<string, int> { [subscriberId] = 1 })], [], part, parts);

    /// <summary>The replica's next announcement, one interval on.</summary>
    private async Task<ReplicaPresence> AnnouncedAsync(CancellationToken ct)
    {
        var before = _bus.Published.Count;
        _clock.Advance(new PresenceOptions().Interval);
        await Wait.UntilAsync(() => Task.FromResult(_bus.Published.Count > before), TimeSpan.FromSeconds(5), "the next announcement");
        return _bus.Published.Last();
    }

    public async ValueTask DisposeAsync()
    {
        await _gossip.StopAsync(CancellationToken.None);
        _gossip.Dispose();
    }

    /// <summary>Records what is published to it; nothing else of a bus is used.</summary>
    public class RecordingBus : DispatchProxy
    {
        public ConcurrentQueue<ReplicaPresence> Published { get; } = new();

        /// <summary>Holds every publish until it is cancelled, as MassTransit does while the broker is away.</summary>
        public bool Holding { get; set; }

        private int _held;

        /// <summary>Publishes held so far.</summary>
        public int Held => Volatile.Read(ref _held);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name == nameof(IBus.Publish) && args is [ReplicaPresence presence, CancellationToken ct])
            {
                if (Holding)
                {
                    Interlocked.Increment(ref _held);
                    return Task.Delay(Timeout.Infinite, ct);
                }
                Published.Enqueue(presence);
                return Task.CompletedTask;
            }
            throw new NotSupportedException($"{targetMethod?.Name} is not recorded.");
        }
    }
}
