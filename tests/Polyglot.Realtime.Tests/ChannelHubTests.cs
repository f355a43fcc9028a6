using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The transport-free hub on its own: routing, order, de-duplication, slow consumers, and
/// resuming from its in-memory history. Resuming from crud's event log is tested against a
/// real crud in <see cref="BusTests"/>; here the log only records that it was asked.
/// </summary>
public sealed class ChannelHubTests
{
    private static readonly Guid BoardA = Guid.CreateVersion7();
    private static readonly Guid BoardB = Guid.CreateVersion7();

    private readonly FakeTimeProvider _clock = new();
    private readonly AskedEventLog _eventLog = new();
    private readonly IMeterFactory _meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    [Fact]
    public async Task BoardSubscribersGetTheirBoardOnlyAndTheFirehoseGetsEverything()
    {
        var hub = await NewHubAsync();
        using var a = hub.Subscribe(HubChannel.ForBoard(BoardA));
        using var all = hub.Subscribe(HubChannel.All);

        Publish(hub, (1, BoardA), (2, BoardB), (3, BoardA));

        Assert.Equal([1L, 3L], await ReadAsync(a, 2));
        Assert.Equal([1L, 2L, 3L], await ReadAsync(all, 3));
    }

    [Fact]
    public async Task ARedeliveredPositionIsDeliveredOnce()
    {
        var hub = await NewHubAsync();
        using var all = hub.Subscribe(HubChannel.All);

        Publish(hub, (1, BoardA), (2, BoardA), (1, BoardA), (2, BoardA), (3, BoardA));

        Assert.Equal([1L, 2L, 3L], await ReadAsync(all, 3));
    }

    [Fact]
    public async Task ALiveSubscriptionStartsAtTheHead()
    {
        var hub = await NewHubAsync();
        Publish(hub, (1, BoardA), (2, BoardA));

        using var late = hub.Subscribe(HubChannel.All);
        Publish(hub, (3, BoardA));

        Assert.Equal(2, late.StartPosition);
        Assert.Equal([3L], await ReadAsync(late, 1));
    }

    [Fact]
    public async Task AResumeWithinTheHistoryReplaysTheChannelFromMemoryThenGoesLive()
    {
        var hub = await NewHubAsync();
        Publish(hub, (1, BoardA), (2, BoardB), (3, BoardA), (4, BoardA));

        using var resumed = hub.Subscribe(HubChannel.ForBoard(BoardA), afterPosition: 1);
        Publish(hub, (5, BoardB), (6, BoardA));

        Assert.Equal(1, resumed.StartPosition);
        Assert.Equal([3L, 4L, 6L], await ReadAsync(resumed, 3));
        Assert.False(_eventLog.Asked);
    }

    [Fact]
    public async Task AResumeAheadOfTheHeadSkipsWhatTheSubscriberHas()
    {
        var hub = await NewHubAsync();
        Publish(hub, (1, BoardA));

        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 3);
        Publish(hub, (2, BoardA), (3, BoardA), (4, BoardA), (5, BoardA));

        Assert.Equal([4L, 5L], await ReadAsync(resumed, 2));
        Assert.False(_eventLog.Asked);
    }

    [Fact]
    public async Task EachMessageSaysWhetherAnotherIsReadyBehindIt()
    {
        var hub = await NewHubAsync();
        using var all = hub.Subscribe(HubChannel.All);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = all.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        Publish(hub, (1, BoardA), (2, BoardA), (3, BoardA));
        Assert.Equal([(1L, true), (2L, true), (3L, false)], await ReadDeliveriesAsync(reader, 3));
        Publish(hub, (4, BoardA));
        Assert.Equal([(4L, false)], await ReadDeliveriesAsync(reader, 1));
    }

    [Fact]
    public async Task ACatchUpFromTheLogGoesOutAsItComesNotHeldBackUntilTheLogsNextPage()
    {
        var hub = await NewHubAsync(historySize: 1);
        Publish(hub, (1, BoardA), (2, BoardA), (3, BoardA), (4, BoardA));
        _eventLog.Events = [.. new long[] { 1, 2, 3 }.Select(p => Event(p, BoardA))];
        _eventLog.ThenNeverAnswers = true; // the page with 4 is slow to come
        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 0);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = resumed.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.Equal([(1L, true), (2L, true), (3L, false)], await ReadDeliveriesAsync(reader, 3));
        await timeout.CancelAsync(); // the reader leaves while the log is still being read
    }

    [Fact]
    public async Task ACatchUpIsFlushedAtLeastEveryQueuesWorthOfMessages()
    {
        var hub = await NewHubAsync(queueCapacity: 2, historySize: 10);
        Publish(hub, (1, BoardA), (2, BoardA), (3, BoardA), (4, BoardA), (5, BoardA));
        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 0);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = resumed.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.Equal([(1L, true), (2L, false), (3L, true), (4L, false), (5L, false)], await ReadDeliveriesAsync(reader, 5));
        Assert.False(_eventLog.Asked);
    }

    [Theory]
    [InlineData(EndReason.Draining)]
    [InlineData(EndReason.Forbidden)]
    [InlineData(EndReason.SlowConsumer)]
    public async Task AStreamEndedInTheMiddleOfItsCatchUpEndsAtOnceNotAfterTheLogAnswersNorWithTheLiveEventsBehindIt(EndReason reason)
    {
        var hub = await NewHubAsync(queueCapacity: 2, historySize: 1);
        Publish(hub, (1, BoardA), (2, BoardA), (3, BoardA));
        _eventLog.Events = [Event(1, BoardA)];
        _eventLog.ThenNeverAnswers = true; // the page with 2 and 3 is slow to come
        using var resumed = hub.Subscribe(new SubscriptionRequest(HubChannel.ForBoard(BoardA), AfterPosition: 0, Member: "ann"));
        Publish(hub, (4, BoardA)); // queued live behind the catch-up
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = resumed.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.Equal([(1L, false)], await ReadDeliveriesAsync(reader, 1));

        EndAnnsStream(hub, reason, next: 5);

        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () => await reader.MoveNextAsync());
        Assert.Equal(reason, ended.Reason); // and not 4, which would have skipped 2 and 3
    }

    [Theory]
    [InlineData(EndReason.Draining)]
    [InlineData(EndReason.Forbidden)]
    [InlineData(EndReason.SlowConsumer)]
    public async Task AStreamEndedInTheMiddleOfItsCatchUpFromHistoryEndsAtOnceNotAfterTheRestOfIt(EndReason reason)
    {
        var hub = await NewHubAsync(queueCapacity: 2);
        Publish(hub, [.. Enumerable.Range(1, 10).Select(p => ((long)p, BoardA))]);
        using var resumed = hub.Subscribe(new SubscriptionRequest(HubChannel.ForBoard(BoardA), AfterPosition: 0, Member: "ann"));
        Publish(hub, (11, BoardA)); // queued live behind the catch-up
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = resumed.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.Equal(1L, (await ReadDeliveriesAsync(reader, 1)).Single().Position);

        EndAnnsStream(hub, reason, next: 12);

        var afterTheEnd = new List<long>();
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () =>
        {
            while (await reader.MoveNextAsync())
            {
                afterTheEnd.Add(Positioned(reader.Current).Position);
            }
        });
        Assert.Equal(reason, ended.Reason);
        Assert.False(_eventLog.Asked); // the history had them all
        // At most the one the catch-up had read ahead when the stream ended; not 3 to 10, nor 11.
        Assert.True(afterTheEnd.Count <= 1, $"After the end: {string.Join(", ", afterTheEnd)}");
    }

    [Fact]
    public async Task AStreamEndedWhileItsCatchUpLearnsThatHistoryIsLostEndsWithTheReasonItWasEndedForCountedOnce()
    {
        using var cutOffs = Collect("polyglot.hub.cut_offs");
        var hub = await NewHubAsync(historySize: 1);
        Publish(hub, (1, BoardA), (2, BoardA));
        _eventLog.Events = [Event(1, BoardA)];
        _eventLog.ThenNeverAnswers = true;
        _eventLog.PrunedWhenCancelled = true;
        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 0);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = resumed.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.Equal([(1L, false)], await ReadDeliveriesAsync(reader, 1));

        hub.Drain();

        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () => await reader.MoveNextAsync());
        Assert.True(_eventLog.ToldPruned);
        Assert.Equal(EndReason.Draining, ended.Reason); // resume elsewhere: not "re-read the state"
        Assert.Equal(["draining"], cutOffs.GetMeasurementSnapshot().Select(m => m.Tags["reason"] as string));
    }

    [Fact]
    public async Task AQueuedDuplicateDoesNotCountAsReady()
    {
        // A resume backfilled from the log: the log already has position 4, which then comes live too.
        using var queued = Collect("polyglot.hub.queue.messages");
        var hub = await NewHubAsync(historySize: 1);
        Publish(hub, (1, BoardA), (2, BoardA), (3, BoardA));
        _eventLog.Events = [.. new long[] { 2, 3, 4 }.Select(p => Event(p, BoardA))];
        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 1);
        Publish(hub, (4, BoardA));
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = resumed.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        // Position 4 is queued live too, behind the last one delivered, but it will be skipped: "more" would leave 4 unflushed.
        queued.RecordObservableInstruments();
        Assert.Equal(1, queued.LastMeasurement!.Value);
        Assert.Equal([(2L, true), (3L, true), (4L, false)], await ReadDeliveriesAsync(reader, 3));
    }

    [Fact]
    public async Task WithAWriteDelayAMessageWaitsForOthersToBeWrittenWithIt()
    {
        var clock = new TimerCountingClock();
        var hub = await NewHubAsync(writeDelay: TimeSpan.FromMilliseconds(5), clock: clock);
        using var all = hub.Subscribe(HubChannel.All);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = all.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        var first = reader.MoveNextAsync().AsTask();
        var timers = clock.Timers;
        Publish(hub, (1, BoardA));
        await Wait.UntilAsync(() => Task.FromResult(clock.Timers > timers), TimeSpan.FromSeconds(5), "the reader to start its write delay");
        Publish(hub, (2, BoardA));
        clock.Advance(TimeSpan.FromMilliseconds(4));
        Assert.False(first.IsCompleted, "The first message was written before its write delay was up.");
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(await first);
        Assert.Equal((1L, true), Positioned(reader.Current));
        Assert.Equal([(2L, false)], await ReadDeliveriesAsync(reader, 1));
    }

    [Fact]
    public async Task AResumeOlderThanTheHistoryHoldsAsksTheEventLog()
    {
        var hub = await NewHubAsync(historySize: 3);
        Publish(hub, (1, BoardA), (2, BoardA), (3, BoardA), (4, BoardA), (5, BoardA));

        using var resumed = hub.Subscribe(HubChannel.ForBoard(BoardA), afterPosition: 1);
        await ReadAsync(resumed, 0);

        Assert.Equal((HubChannel.ForBoard(BoardA), 1L), _eventLog.Request);
    }

    [Fact]
    public async Task HistoryOlderThanItsMaximumAgeIsNotReplayed()
    {
        var hub = await NewHubAsync(historyMaxAge: TimeSpan.FromMinutes(1));
        Publish(hub, (1, BoardA), (2, BoardA));
        _clock.Advance(TimeSpan.FromSeconds(61));
        Publish(hub, (3, BoardA));

        using var recent = hub.Subscribe(HubChannel.All, afterPosition: 2);
        Assert.Equal([3L], await ReadAsync(recent, 1));
        Assert.False(_eventLog.Asked);

        using var old = hub.Subscribe(HubChannel.All, afterPosition: 1);
        await ReadAsync(old, 0);
        Assert.Equal((HubChannel.All, 1L), _eventLog.Request);
    }

    [Fact]
    public async Task AResumeBeforeTheFirstEventTheHubSawAsksTheEventLog()
    {
        var hub = await NewHubAsync();
        Publish(hub, (7, BoardA));

        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 5);
        await ReadAsync(resumed, 0);

        Assert.Equal((HubChannel.All, 5L), _eventLog.Request);
    }

    [Fact]
    public async Task ASlowSubscriberIsCutOffWithWhatWasQueuedForItDroppedAndTheOthersKeepEverything()
    {
        var hub = await NewHubAsync(queueCapacity: 2);
        using var slow = hub.Subscribe(HubChannel.All);
        using var fast = hub.Subscribe(HubChannel.All);
        var received = new List<long>();

        for (var position = 1; position <= 5; position++)
        {
            Publish(hub, (position, BoardA));
            received.AddRange(await ReadAsync(fast, 1, dispose: false));
        }

        Assert.Equal([1L, 2L, 3L, 4L, 5L], received);
        // It resumes after the last position it received, so positions 1 and 2, queued when it
        // fell behind, are not held for it: the next read says why it was cut off.
        var slowEvents = slow.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () => await slowEvents.MoveNextAsync());
        Assert.Equal(EndReason.SlowConsumer, ended.Reason);
        Assert.Equal(1, hub.SubscriptionCount);
    }

    [Fact]
    public async Task ASlowSubscriberCutOffWhileItReadsGetsNoEventPastAGapBeforeTheReason()
    {
        // The cut-off drops the queue on the publishing thread while the reader may still be
        // taking from it: a long queue and a reader a little slower than the publisher, so that
        // the two meet.
        var cutOff = 0;
        for (var round = 0; round < 50; round++)
        {
            var hub = await NewHubAsync(queueCapacity: 1000);
            using var subscription = hub.Subscribe(HubChannel.All);
            var received = new List<long>();
            var reading = Task.Run(async () =>
            {
                try
                {
                    await foreach (var delivery in subscription.ReadAllAsync(CancellationToken.None))
                    {
                        received.Add(Assert.IsType<HubEvent>(delivery.Message).Position);
                        Thread.SpinWait(20);
                    }
                }
                catch (SubscriptionEndedException ended) when (ended.Reason == EndReason.SlowConsumer)
                {
                    cutOff++;
                }
            });
            for (var position = 1; position <= 20_000; position++)
            {
                Publish(hub, (position, BoardA));
            }
            subscription.Dispose(); // one that kept up reads to the end
            await reading.WaitAsync(TimeSpan.FromSeconds(10));

            // It resumes after the last position it received: anything missing before that is lost for good.
            Assert.Equal(Enumerable.Range(1, received.Count).Select(p => (long)p), received);
        }
        Assert.True(cutOff > 0, "No round cut the subscriber off.");
    }

    [Fact]
    public async Task ABatchDeliveredAgainWhileItsFirstDeliveryIsStillFanningOutReachesEverySubscriberInOrder()
    {
        // Dapr sends a delivery again when the first one is slow to answer, and both run at once:
        // each event goes out to many subscribers, long enough for the other caller to overtake it.
        const int events = 200;
        var hub = await NewHubAsync(queueCapacity: events);
        var subscriptions = Enumerable.Range(0, 1000).Select(_ => hub.Subscribe(HubChannel.ForBoard(BoardA))).ToList();
        var batch = Enumerable.Range(1, events).Select(p => Event(p, BoardA)).ToList();

        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            foreach (var hubEvent in batch)
            {
                await hub.ReceiveAsync(hubEvent, CancellationToken.None);
            }
        })));

        var everyPosition = Enumerable.Range(1, events).Select(p => (long)p).ToList();
        foreach (var subscription in subscriptions)
        {
            subscription.Dispose(); // what is queued is still read, then the stream ends
            var received = new List<long>();
            await foreach (var delivery in subscription.ReadAllAsync(CancellationToken.None))
            {
                received.Add(Assert.IsType<HubEvent>(delivery.Message).Position);
            }
            // A subscriber reads past what came out of order: the overtaken event is lost to it.
            Assert.Equal(everyPosition, received);
        }
    }

    [Fact]
    public async Task TheDashboardSeesSubscriptionsDeliveriesQueuesCutOffsAndCatchUps()
    {
        using var subscriptions = Collect("polyglot.hub.subscriptions");
        using var deliveries = Collect("polyglot.hub.deliveries");
        using var cutOffs = Collect("polyglot.hub.cut_offs");
        using var catchUps = Collect("polyglot.hub.catch_ups");
        using var deepest = Collect("polyglot.hub.queue.deepest");
        using var duration = new MetricCollector<double>(_meters, HubMetrics.MeterName, "polyglot.hub.delivery.duration");
        var hub = await NewHubAsync(queueCapacity: 2, historySize: 2);
        using var grpc = hub.Subscribe(new SubscriptionRequest(HubChannel.All, Transport: Transport.Grpc));
        using var slow = hub.Subscribe(new SubscriptionRequest(HubChannel.All, Transport: Transport.WebSocket));
        Assert.Equal(1, Sum(subscriptions, "transport", "grpc"));
        Assert.Equal(1, Sum(subscriptions, "transport", "websocket"));

        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = grpc.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Publish(hub, (1, BoardA), (2, BoardA));
        deepest.RecordObservableInstruments();
        Assert.Equal(2, deepest.LastMeasurement!.Value); // the WebSocket subscriber reads nothing
        Assert.True(await reader.MoveNextAsync());
        Assert.True(await reader.MoveNextAsync()); // the first event was written: it came back for more
        Publish(hub, (3, BoardA)); // one more than the WebSocket subscriber's queue holds
        Assert.True(await reader.MoveNextAsync());

        Assert.Equal(2, Sum(deliveries, "transport", "grpc"));
        Assert.Equal(2, duration.GetMeasurementSnapshot().Count(m => m.Tags["transport"] as string == "grpc" && m.Value >= 0));
        Assert.Equal(1, Sum(cutOffs, "reason", "slow_consumer"));
        Assert.Equal(0, Sum(subscriptions, "transport", "websocket"));
        deepest.RecordObservableInstruments();
        Assert.Equal(0, deepest.LastMeasurement!.Value);

        // The history holds the last two events (2 and 3): after 1 it replays, after 0 the log is read.
        using var fromHistory = hub.Subscribe(new SubscriptionRequest(HubChannel.All, AfterPosition: 1, Transport: Transport.Sse));
        using var fromLog = hub.Subscribe(new SubscriptionRequest(HubChannel.All, AfterPosition: 0, Transport: Transport.Sse));
        Assert.Equal(1, Sum(catchUps, "source", "history"));
        Assert.Equal(1, Sum(catchUps, "source", "event_log"));
        Assert.Equal(2, Sum(subscriptions, "transport", "sse"));
    }

    [Fact]
    public async Task ADisposedSubscriptionReceivesNothingMore()
    {
        var hub = await NewHubAsync();
        var gone = hub.Subscribe(HubChannel.All);
        using var stays = hub.Subscribe(HubChannel.All);

        gone.Dispose();
        Publish(hub, (1, BoardA));

        Assert.Empty(await ReadAsync(gone, 1));
        Assert.Equal([1L], await ReadAsync(stays, 1));
    }

    [Fact]
    public async Task DrainingEndsEverySubscriptionAfterWhatIsQueuedAndRefusesNewOnes()
    {
        var hub = await NewHubAsync();
        using var a = hub.Subscribe(HubChannel.ForBoard(BoardA));
        using var all = hub.Subscribe(HubChannel.All);
        Publish(hub, (1, BoardA));

        hub.Drain();

        var events = all.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(1, Assert.IsType<HubEvent>(events.Current.Message).Position);
        Assert.Equal(EndReason.Draining, (await Assert.ThrowsAsync<SubscriptionEndedException>(async () => await events.MoveNextAsync())).Reason);
        Assert.Equal(EndReason.Draining, (await Assert.ThrowsAsync<SubscriptionEndedException>(
            async () => await a.ReadAllAsync(CancellationToken.None).Skip(1).FirstOrDefaultAsync())).Reason);
        Assert.Equal(EndReason.Draining, Assert.Throws<SubscriptionEndedException>(() => hub.Subscribe(HubChannel.All)).Reason);
    }

    [Fact]
    public async Task DrainingEndsEveryPresenceWatcherAsDrainingNotAsTooSlowForTheOthersLeaving()
    {
        var hub = await NewHubAsync(queueCapacity: 3);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        var watchers = new List<IAsyncEnumerator<Delivery>>();
        for (var i = 0; i < 8; i++)
        {
            var watcher = hub.Subscribe(new SubscriptionRequest(HubChannel.ForBoard(BoardA), SubscriberId: $"watcher {i}", Presence: true));
            foreach (var earlier in watchers)
            {
                Assert.True(await earlier.MoveNextAsync()); // its join: each queue is empty before the drain
            }
            watchers.Add(watcher.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token));
        }

        hub.Drain(); // eight leave: the last ended would hear seven leaves in a queue of three

        foreach (var watcher in watchers)
        {
            var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () =>
            {
                while (await watcher.MoveNextAsync())
                {
                }
            });
            Assert.Equal(EndReason.Draining, ended.Reason);
            await watcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task PresenceCountsSubscriptionsAndWatchersHearOthersJoinAndLeave()
    {
        var hub = await NewHubAsync();
        var board = HubChannel.ForBoard(BoardA);
        using var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "ann", Presence: true));
        var bob = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "bob"));
        using var bobAgain = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "bob"));
        using var elsewhere = hub.Subscribe(new SubscriptionRequest(HubChannel.ForBoard(BoardB), SubscriberId: "cy"));

        var during = hub.GetPresence(board);
        bob.Dispose();
        var after = hub.GetPresence(board);

        Assert.Equal(3, during.Count);
        Assert.Equal(["ann", "bob"], during.SubscriberIds);
        Assert.Equal(2, after.Count);
        Assert.Equal(["ann", "bob"], after.SubscriberIds);
        var changes = new List<PresenceChange>();
        await foreach (var (message, _) in watcher.ReadAllAsync(CancellationToken.None))
        {
            changes.Add(Assert.IsType<PresenceChange>(message));
            if (changes.Count == 3)
            {
                break;
            }
        }
        Assert.Equal([("bob", true, 2), ("bob", true, 3), ("bob", false, 2)], changes.Select(c => (c.SubscriberId, c.Joined, c.Count)));
    }

    [Fact]
    public async Task TheDeliveriesMetricCountsEventsWrittenNotPresenceChanges()
    {
        using var deliveries = Collect("polyglot.hub.deliveries");
        var hub = await NewHubAsync();
        var board = HubChannel.ForBoard(BoardA);
        using var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "wes", Presence: true));
        hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "ann")).Dispose(); // joins and leaves
        Publish(hub, (1, BoardA), (2, BoardA));

        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = watcher.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.Equal([("ann", true, 2), ("ann", false, 1)], await ReadPresenceAsync(reader, 2));
        Assert.Equal([(1L, true), (2L, false)], await ReadDeliveriesAsync(reader, 2)); // the first event written: it came back for more

        Assert.Equal(1, Sum(deliveries, "transport", "grpc"));
    }

    [Fact]
    public async Task AWatcherHearsJoinsAndLeavesInTheOrderTheyWereCountedSoItsLastCountIsTheTruth()
    {
        var hub = await NewHubAsync();
        var board = HubChannel.ForBoard(BoardA);
        using var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "wes", Presence: true));
        var bob = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "bob"));
        // bob leaves on another thread's heels: just after ann's join is counted, before it is told.
        var left = false;
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == _meters && instrument.Name == "polyglot.hub.subscriptions")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, change, _, _) =>
            {
                if (change > 0 && !left)
                {
                    left = true;
                    bob.Dispose();
                }
            });
            listener.Start();
            using var ann = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "ann"));
            Assert.True(left, "bob never left while ann joined.");

            var changes = await ReadPresenceAsync(watcher.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator(), 3);

            Assert.Equal([("bob", true, 2), ("ann", true, 3), ("bob", false, 2)], changes);
            Assert.Equal(hub.GetPresence(board).Count, changes[^1].Item3);
        }
    }

    [Fact]
    public async Task AWatcherJoiningJustAfterAChangeWasCountedIsNotToldOfItWithACountThatLeavesItOut()
    {
        var hub = await NewHubAsync();
        var board = HubChannel.ForBoard(BoardA);
        using var cy = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "cy"));
        var bob = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "bob"));
        // wes joins on bob's heels: just after bob's leaving is counted, before it is told.
        Subscription? wes = null;
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == _meters && instrument.Name == "polyglot.hub.subscriptions")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, change, _, _) =>
            {
                if (change < 0 && wes is null)
                {
                    wes = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "wes", Presence: true));
                }
            });
            listener.Start();
            bob.Dispose();
        }
        Assert.NotNull(wes); // the race happened: wes was counted after bob's leaving, before it was told
        using var _ = wes;
        using var ann = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "ann"));

        var changes = await ReadPresenceAsync(wes.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator(), 1);

        Assert.Equal([("ann", true, 3)], changes); // not bob's leaving, counted 1 before wes was there
        Assert.Equal(hub.GetPresence(board).Count, changes[^1].Item3);
    }

    [Fact]
    public async Task PresenceCountsOtherReplicasAndWatchersHearTheirJoinsAndLeaves()
    {
        var hub = await NewHubAsync();
        var board = HubChannel.ForBoard(BoardA);
        using var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "ann", Presence: true));
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var changes = watcher.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        hub.UpdateReplica("r2", Channels((board, new() { ["bob"] = 2 }), (HubChannel.ForBoard(BoardB), new() { ["cy"] = 1 })), complete: false);
        Assert.Equal((3, "ann,bob"), Seen(hub.GetPresence(board)));
        hub.UpdateReplica("r2", Channels((board, new() { ["bob"] = 1 })), complete: false);
        hub.UpdateReplica("r2", Channels((board, new() { ["fay"] = 1 })), complete: false); // bob, not named, stays as he was
        using var dan = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "dan"));
        hub.UpdateReplica("r3", Channels((board, new() { ["eve"] = 1 })), complete: false);
        hub.UpdateReplica("r3", Channels(), complete: true); // a complete list without the board: eve is gone from it
        hub.ForgetReplica("r2");

        Assert.Equal(
            [("bob", true, 2), ("bob", true, 3), ("bob", false, 2), ("fay", true, 3), ("dan", true, 4), ("eve", true, 5), ("eve", false, 4), ("bob", false, 3), ("fay", false, 2)],
            await ReadPresenceAsync(changes, 9));
        Assert.Equal((2, "ann,dan"), Seen(hub.GetPresence(board)));
        Assert.Equal((0, ""), Seen(hub.GetPresence(HubChannel.ForBoard(BoardB))));
        Assert.Equal(new Dictionary<string, int> { ["ann"] = 1, ["dan"] = 1 }, hub.LocalSubscribers(board));
        Assert.Equal(new Dictionary<string, int> { ["dan"] = 1, ["bob"] = 0 }, hub.LocalSubscribers(board, ["dan", "bob"]));
    }

    [Fact]
    public async Task ABurstOfPresenceChangesBeyondHalfAWatchersQueueIsToldAsOneSkipNotACutOffAndEventsAndLaterChangesFollow()
    {
        var hub = await NewHubAsync(queueCapacity: 8);
        var board = HubChannel.ForBoard(BoardA);
        using var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "ann", Presence: true));
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = watcher.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        // Another replica's 20 subscribers heard, then the replica gone: 40 changes at once, for a queue of 8.
        hub.UpdateReplica("r2", Channels((board, Enumerable.Range(0, 20).ToDictionary(i => $"s{i:00}", _ => 1))), complete: false);
        hub.ForgetReplica("r2");
        Publish(hub, (1, BoardA));
        var read = await ReadDescribedAsync(reader, 5);
        using var dan = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "dan"));
        read.AddRange(await ReadDescribedAsync(reader, 2));

        // Presence took half the queue; the rest of the burst is one skip, with the count the last change left.
        Assert.Equal(["s00 joined 2", "s01 joined 3", "s02 joined 4", "s03 joined 5", "36 skipped, count 1", "event 1", "dan joined 2"], read);
    }

    [Fact]
    public async Task AWatcherHalfBehindOnEventsHearsABurstAtOnceAsOneSkipAndItsEventsKeepTheRestOfTheQueue()
    {
        var hub = await NewHubAsync(queueCapacity: 8);
        var board = HubChannel.ForBoard(BoardA);
        using var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "ann", Presence: true));
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = watcher.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);

        Publish(hub, (1, BoardA), (2, BoardA), (3, BoardA), (4, BoardA), (5, BoardA)); // more than half its queue
        hub.UpdateReplica("r2", Channels((board, new() { ["bob"] = 1, ["cy"] = 1, ["dan"] = 1, ["eve"] = 1 })), complete: false);
        Publish(hub, (6, BoardA), (7, BoardA), (8, BoardA)); // the rest of it

        // Not cut off: the changes took none of the events' room, and are told first, as one.
        Assert.Equal(["4 skipped, count 5", "event 1", "event 2", "event 3", "event 4", "event 5", "event 6", "event 7", "event 8"],
            await ReadDescribedAsync(reader, 9));
    }

    [Fact]
    public async Task SubscribersAreRefusedAsStartingUntilTheHubIsOpen()
    {
        var hub = await NewHubAsync(open: false);

        Assert.Equal(EndReason.Starting, Assert.Throws<SubscriptionEndedException>(() => hub.Subscribe(HubChannel.All)).Reason);
        await hub.OpenAsync(CancellationToken.None);
        using var subscription = hub.Subscribe(HubChannel.All);
    }

    [Fact]
    public async Task AfterOpeningALiveSubscriptionStartsAtTheLogsHeadThoughTheHubHasSeenNoEvent()
    {
        _eventLog.Head = 7;
        var hub = await NewHubAsync();

        using var live = hub.Subscribe(HubChannel.All);
        Publish(hub, (5, BoardA), (7, BoardA), (8, BoardA));

        Assert.Equal(7, live.StartPosition);
        Assert.Equal([8L], await ReadAsync(live, 1));
    }

    [Fact]
    public async Task EventsSeenBeforeOpeningDoNotAnswerAResumeBehindTheLogsHead()
    {
        var hub = await NewHubAsync(open: false);
        Publish(hub, (4, BoardA), (5, BoardA)); // arrived from the bus before the head was known
        _eventLog.Head = 7;
        await hub.OpenAsync(CancellationToken.None);

        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 5);
        await ReadAsync(resumed, 0);

        // 6 and 7 are not in memory, so the log is asked, not the history.
        Assert.Equal((HubChannel.All, 5L), _eventLog.Request);
    }

    [Fact]
    public async Task EventsSeenBeforeOpeningDoNotAnswerAResumeBehindTheLogsHeadEvenOnceTheyLeaveTheHistory()
    {
        var hub = await NewHubAsync(open: false, historySize: 3);
        Publish(hub, (4, BoardA), (5, BoardA)); // arrived from the bus before the head was known
        _eventLog.Head = 7;
        await hub.OpenAsync(CancellationToken.None);
        Publish(hub, (8, BoardA), (9, BoardA)); // 9 pushes 4 out of the history; 6 and 7 were never in it
        _eventLog.Events = [.. new long[] { 6, 7, 8, 9 }.Select(p => Event(p, BoardA))];

        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 5);

        Assert.Equal([6L, 7L, 8L, 9L], await ReadAsync(resumed, 4));
        Assert.Equal((HubChannel.All, 5L), _eventLog.Request);
    }

    [Fact]
    public async Task AfterPositionsTheLogCouldNotFillAResumeBehindThemIsReadFromTheLogEvenOnceOlderEventsLeaveTheHistory()
    {
        var hub = await NewHubAsync(historySize: 3);
        Publish(hub, (1, BoardA), (2, BoardA)); // then 3 and 4 never reach the hub, nor are they in the log yet
        await hub.ReceiveAsync(Event(5, BoardA), CancellationToken.None);
        Publish(hub, (6, BoardA)); // pushes 1 out of the history
        _eventLog.Events = [.. new long[] { 3, 4, 5, 6 }.Select(p => Event(p, BoardA))];

        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 2);

        Assert.Equal([3L, 4L, 5L, 6L], await ReadAsync(resumed, 4));
    }

    [Fact]
    public async Task AHeadCheckReadsFromTheLogWhatWasPublishedAndHasNotComeUpToThatPositionOnly()
    {
        var closed = await NewHubAsync(open: false);
        await closed.CatchUpToAsync(3, CancellationToken.None);
        Assert.False(_eventLog.Asked); // closed: opening learns the head

        var hub = await NewHubAsync();
        using var all = hub.Subscribe(HubChannel.All);
        Publish(hub, (1, BoardA), (2, BoardA));
        _eventLog.Events = [.. new long[] { 3, 4, 5 }.Select(p => Event(p, BoardA))]; // 4 and 5 not published yet
        await hub.CatchUpToAsync(2, CancellationToken.None);
        Assert.False(_eventLog.Asked); // come already

        await hub.CatchUpToAsync(4, CancellationToken.None);

        Assert.Equal((HubChannel.All, 2L), _eventLog.Request);
        Assert.Equal(4, hub.Head);
        Assert.Equal([1L, 2L, 3L, 4L], await ReadAsync(all, 4));
    }

    [Fact]
    public async Task AHeadCheckForPositionsTheLogNoLongerHoldsEndsEveryStreamBegunBeforeThemAndTheFeedGoesOnAfterThem()
    {
        var hub = await NewHubAsync();
        using var all = hub.Subscribe(HubChannel.All);
        Publish(hub, (1, BoardA));
        _eventLog.HistoryLost = true;

        await hub.CatchUpToAsync(3, CancellationToken.None);

        Assert.Equal((HubChannel.All, 1L), _eventLog.Request);
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(() => ReadAsync(all, 2, dispose: false));
        Assert.Equal(EndReason.HistoryLost, ended.Reason);
        Assert.Equal(3, hub.Head);
        using var after = hub.Subscribe(HubChannel.All);
        Publish(hub, (4, BoardA));
        Assert.Equal([4L], await ReadAsync(after, 1));
    }

    [Fact]
    public async Task AGapTheLogNoLongerHoldsEndsEveryStreamBegunBeforeItAsHistoryLostAndTheFeedGoesOnAfterIt()
    {
        var hub = await NewHubAsync();
        using var otherBoard = hub.Subscribe(HubChannel.ForBoard(BoardB)); // its events may be among those lost too
        using var all = hub.Subscribe(HubChannel.All);
        Publish(hub, (1, BoardA));
        _eventLog.HistoryLost = true;

        // 2 and 3 never reached the hub, and the log has pruned them since.
        await hub.ReceiveAsync(Event(4, BoardA), CancellationToken.None);

        Assert.Equal((HubChannel.All, 1L), _eventLog.Request); // the fault: the gap was asked for, and the log had lost it
        foreach (var (subscription, delivered) in new[] { (otherBoard, Array.Empty<long>()), (all, [1L]) })
        {
            var read = new List<long>();
            var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () =>
            {
                await foreach (var delivery in subscription.ReadAllAsync(CancellationToken.None))
                {
                    read.Add(Assert.IsType<HubEvent>(delivery.Message).Position);
                }
            });
            Assert.Equal(EndReason.HistoryLost, ended.Reason);
            Assert.Equal(delivered, read);
        }
        Assert.Equal(0, hub.SubscriptionCount);

        // The next event comes through; a new stream starts after the gap, and a resume from before it finds no history.
        using var after = hub.Subscribe(HubChannel.All);
        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 1);
        await hub.ReceiveAsync(Event(5, BoardA), CancellationToken.None);
        Assert.Equal(4, after.StartPosition);
        Assert.Equal([5L], await ReadAsync(after, 1));
        Assert.Equal(EndReason.HistoryLost, (await Assert.ThrowsAsync<SubscriptionEndedException>(() => ReadAsync(resumed, 1))).Reason);
    }

    [Fact]
    public async Task WatchersEndedForALostGapHearNothingOfEachOthersLeavingAndAStreamAlreadyPastTheGapGoesOn()
    {
        var hub = await NewHubAsync(queueCapacity: 8); // presence takes up to 4: room for the three joins
        var board = HubChannel.ForBoard(BoardA);
        Publish(hub, (1, BoardB));
        var watchers = Enumerable.Range(0, 4).Select(i => hub.Subscribe(new SubscriptionRequest(board, SubscriberId: $"w{i}", Presence: true))).ToList();
        var readers = watchers.Select(w => w.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator()).ToList();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(3 - i, (await ReadPresenceAsync(readers[i], 3 - i)).Count); // the joins of those after it
        }
        using var ahead = hub.Subscribe(HubChannel.All, afterPosition: 3); // resumed from a replica that was ahead
        _eventLog.HistoryLost = true;

        await hub.ReceiveAsync(Event(4, BoardA), CancellationToken.None); // 2 and 3 lost

        foreach (var reader in readers)
        {
            // Told, one after another, of the others leaving, the last of them would read three leaves first.
            Assert.Equal(EndReason.HistoryLost, (await Assert.ThrowsAsync<SubscriptionEndedException>(async () => await reader.MoveNextAsync())).Reason);
            await reader.DisposeAsync();
        }
        Assert.Equal([4L], await ReadAsync(ahead, 1));
    }

    [Fact]
    public async Task AWatcherAlreadyPastALostGapHearsThoseEndedForItLeaveWithTheCountLeft()
    {
        var hub = await NewHubAsync();
        var board = HubChannel.ForBoard(BoardA);
        Publish(hub, (1, BoardB));
        using var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "w", Presence: true));
        using var other = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "o"));
        // Resumed from a replica that was ahead: it joins last, so it hears no join.
        using var ahead = hub.Subscribe(new SubscriptionRequest(board, AfterPosition: 3, SubscriberId: "ahead", Presence: true));
        _eventLog.HistoryLost = true;

        await hub.ReceiveAsync(Event(4, BoardA), CancellationToken.None); // 2 and 3 lost

        Assert.Equal(1, hub.GetPresence(board).Count); // the two begun before the gap were ended
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        await using var reader = ahead.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        var read = await ReadDescribedAsync(reader, 3);
        Assert.Equal(["o", "w"], read.Take(2).Select(r => r.Split(' ')[0]).Order());
        Assert.Equal(["left 2", "left 1"], read.Take(2).Select(r => r.Split(' ', 2)[1]));
        Assert.Equal("event 4", read[2]);
    }

    [Fact]
    public async Task ALeaveForALostGapIsToldOnceAndNotToTheSameSubscriberJoiningAgainAfterIt()
    {
        var hub = await NewHubAsync();
        var board = HubChannel.ForBoard(BoardA);
        Publish(hub, (1, BoardB));
        var watcher = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "w", Presence: true));
        var other = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "o"));
        using var ahead = hub.Subscribe(new SubscriptionRequest(board, AfterPosition: 3, SubscriberId: "ahead", Presence: true));
        // As the first leave is told to the other replicas, the ended streams' clients act at once:
        // "w", told to re-read the state, subscribes again, and both close their streams.
        Subscription? again = null;
        hub.LocalPresenceChanged += change =>
        {
            if (!change.Joined && again is null)
            {
                again = hub.Subscribe(new SubscriptionRequest(board, SubscriberId: "w", Presence: true));
                watcher.Dispose();
                other.Dispose();
            }
        };
        _eventLog.HistoryLost = true;

        await hub.ReceiveAsync(Event(4, BoardA), CancellationToken.None); // 2 and 3 lost

        Assert.NotNull(again);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        async Task<List<string>> UntilEvent4Async(Subscription subscription)
        {
            await using var reader = subscription.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
            var read = new List<string>();
            while (read.LastOrDefault() != "event 4")
            {
                read.AddRange(await ReadDescribedAsync(reader, 1));
            }
            return read;
        }
        var heardAhead = await UntilEvent4Async(ahead);
        Assert.Equal(["o left", "w left"], heardAhead.Where(r => r.Contains(" left ", StringComparison.Ordinal)).Select(r => r[..r.LastIndexOf(' ')]).Order());
        // Joined after those leaves: none of them, its own id's least of all.
        Assert.Equal(["event 4"], await UntilEvent4Async(again!));
        again!.Dispose();
    }

    [Fact]
    public async Task AGapInTheFirstEventsAfterOpeningOnAnEmptyLogIsReadFromTheLog()
    {
        var hub = await NewHubAsync(); // the log's head is 0: no event yet
        using var live = hub.Subscribe(HubChannel.All);
        _eventLog.Events = [Event(1, BoardA), Event(2, BoardA)];

        await hub.ReceiveAsync(Event(2, BoardA), CancellationToken.None); // 1 was lost on the way

        Assert.Equal(0, live.StartPosition);
        Assert.Equal([1L, 2L], await ReadAsync(live, 2));
    }

    [Fact]
    public async Task ASubscriberWithoutAnIdGetsAUuid()
    {
        using var anonymous = (await NewHubAsync()).Subscribe(HubChannel.All);

        Assert.True(Guid.TryParse(anonymous.SubscriberId, out _));
    }

    [Theory]
    [InlineData("all", true)]
    [InlineData("board:0190a5c4-2b7e-7c3e-9d1a-4f0e8b6a2c11", true)]
    [InlineData("board:0190A5C4-2B7E-7C3E-9D1A-4F0E8B6A2C11", true)]
    [InlineData("board:", false)]
    [InlineData("board:not-a-uuid", false)]
    [InlineData("board:{0190a5c4-2b7e-7c3e-9d1a-4f0e8b6a2c11}", false)]
    [InlineData("ALL", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyWellFormedChannelNamesParse(string? name, bool valid)
    {
        Assert.Equal(valid, HubChannel.TryParse(name, out var channel));
        if (valid)
        {
            Assert.Equal(name!.ToLowerInvariant(), channel!.Value.Name);
        }
    }

    [Fact]
    public async Task AMembersRemovalEndsTheirStreamsOfThatBoardOnlyAfterTheRemovalAndRefusesThemForAMinuteUnlessAddedAgain()
    {
        var hub = await NewHubAsync();
        var (a, b) = (HubChannel.ForBoard(BoardA), HubChannel.ForBoard(BoardB));
        using var annOnA = hub.Subscribe(new SubscriptionRequest(a, Member: "ann"));
        using var annOnB = hub.Subscribe(new SubscriptionRequest(b, Member: "ann"));
        using var bobOnA = hub.Subscribe(new SubscriptionRequest(a, Member: "bob"));
        using var serviceOnA = hub.Subscribe(new SubscriptionRequest(a)); // a service: no member to remove

        hub.Publish(Membership(1, BoardA, "ann", removed: true));
        Publish(hub, (2, BoardA), (3, BoardB));

        await using var ann = annOnA.ReadAllAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await ann.MoveNextAsync());
        Assert.Equal(1, Assert.IsType<HubEvent>(ann.Current.Message).Position); // the removal itself, then the end
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () => await ann.MoveNextAsync());
        Assert.Equal(EndReason.Forbidden, ended.Reason);
        Assert.Equal([3L], await ReadAsync(annOnB, 1));
        Assert.Equal([1L, 2L], await ReadAsync(bobOnA, 2));
        Assert.Equal([1L, 2L], await ReadAsync(serviceOnA, 2));

        // Allowed by a membership check made before the removal reached the hub: still refused.
        Assert.Equal(EndReason.Forbidden, Assert.Throws<SubscriptionEndedException>(() => hub.Subscribe(new SubscriptionRequest(a, Member: "ann"))).Reason);
        _clock.Advance(TimeSpan.FromMinutes(2));
        hub.Subscribe(new SubscriptionRequest(a, Member: "ann")).Dispose(); // a minute on, crud's answer alone decides

        hub.Publish(Membership(4, BoardA, "ann", removed: true));
        hub.Publish(Membership(5, BoardA, "ann", removed: false));
        hub.Subscribe(new SubscriptionRequest(a, Member: "ann")).Dispose(); // added again
    }

    [Fact]
    public async Task AResumesCatchUpFromTheLogStopsAtTheHubsHeadSoItNeverRunsPastALaterRemoval()
    {
        var hub = await NewHubAsync(historySize: 1);
        Publish(hub, (1, BoardA), (2, BoardA));
        // The log is ahead of the hub: it already holds ann's removal and what came after it.
        _eventLog.Events = [Event(1, BoardA), Event(2, BoardA), Membership(3, BoardA, "ann", removed: true), Event(4, BoardA), Event(5, BoardA)];
        using var ann = hub.Subscribe(new SubscriptionRequest(HubChannel.ForBoard(BoardA), AfterPosition: 0, Member: "ann"));

        hub.Publish(Membership(3, BoardA, "ann", removed: true));
        Publish(hub, (4, BoardA), (5, BoardA));

        var delivered = new List<long>();
        var ended = await Assert.ThrowsAsync<SubscriptionEndedException>(async () =>
        {
            await foreach (var delivery in ann.ReadAllAsync(CancellationToken.None))
            {
                delivered.Add(Assert.IsType<HubEvent>(delivery.Message).Position);
            }
        });
        Assert.Equal((HubChannel.ForBoard(BoardA), 0L), _eventLog.Request); // caught up from the log, not the history
        Assert.Equal(EndReason.Forbidden, ended.Reason);
        Assert.Equal([1L, 2L, 3L], delivered);
    }

    /// <summary>Ends ann's stream of board A, one live event in its queue of two, for <paramref name="reason"/>; the next position is <paramref name="next"/>.</summary>
    private static void EndAnnsStream(ChannelHub hub, EndReason reason, long next)
    {
        switch (reason)
        {
            case EndReason.Draining:
                hub.Drain();
                break;
            case EndReason.Forbidden:
                hub.Publish(Membership(next, BoardA, "ann", removed: true));
                break;
            default:
                Publish(hub, (next, BoardA), (next + 1, BoardA)); // a third in a queue of two
                break;
        }
    }

    private async Task<ChannelHub> NewHubAsync(
        int queueCapacity = 100, int historySize = 100, TimeSpan? historyMaxAge = null, bool open = true, TimeSpan? writeDelay = null, TimeProvider? clock = null)
    {
        var hub = new ChannelHub(
            Options.Create(new HubOptions
            {
                SubscriberQueueCapacity = queueCapacity,
                HistorySize = historySize,
                HistoryMaxAge = historyMaxAge ?? TimeSpan.FromMinutes(5),
                WriteDelay = writeDelay ?? TimeSpan.Zero,
            }),
            _eventLog,
            clock ?? _clock,
            new HubMetrics(_meters),
            NullLogger<ChannelHub>.Instance);
        if (open)
        {
            await hub.OpenAsync(CancellationToken.None);
        }
        return hub;
    }

    private MetricCollector<long> Collect(string instrument) => new(_meters, HubMetrics.MeterName, instrument);

    private static long Sum(MetricCollector<long> collector, string tag, string value) =>
        collector.GetMeasurementSnapshot().Where(m => m.Tags[tag] as string == value).Sum(m => m.Value);

    private static void Publish(ChannelHub hub, params (long Position, Guid Board)[] events)
    {
        foreach (var (position, board) in events)
        {
            hub.Publish(Event(position, board));
        }
    }

    private static Dictionary<HubChannel, IReadOnlyDictionary<string, int>> Channels(params (HubChannel Channel, Dictionary<string, int> Subscribers)[] channels) =>
        channels.ToDictionary(c => c.Channel, c => (IReadOnlyDictionary<string, int>)c.Subscribers);

    private static (int Count, string SubscriberIds) Seen(Polyglot.Streaming.Hub.Presence presence) => (presence.Count, string.Join(",", presence.SubscriberIds));

    /// <summary>The next <paramref name="count"/> messages, each in a few words.</summary>
    private static async Task<List<string>> ReadDescribedAsync(IAsyncEnumerator<Delivery> reader, int count)
    {
        var read = new List<string>();
        while (read.Count < count && await reader.MoveNextAsync())
        {
            read.Add(reader.Current.Message switch
            {
                PresenceChange change => $"{change.SubscriberId} {(change.Joined ? "joined" : "left")} {change.Count}",
                PresenceSkip skip => $"{skip.Skipped} skipped, count {skip.Count}",
                HubEvent hubEvent => $"event {hubEvent.Position}",
                var other => other.GetType().Name,
            });
        }
        return read;
    }

    private static async Task<List<(string, bool, int)>> ReadPresenceAsync(IAsyncEnumerator<Delivery> reader, int count)
    {
        var read = new List<(string, bool, int)>();
        while (read.Count < count && await reader.MoveNextAsync())
        {
            var change = Assert.IsType<PresenceChange>(reader.Current.Message);
            read.Add((change.SubscriberId, change.Joined, change.Count));
        }
        return read;
    }

    private static HubEvent Event(long position, Guid board) => HubEvent.From(new IntegrationEvent { Position = position, BoardId = board.ToString() });

    private static HubEvent Membership(long position, Guid board, string subject, bool removed)
    {
        var member = new Contracts.Boards.V1.Member { BoardId = board.ToString(), Subject = subject, User = subject };
        var integrationEvent = new IntegrationEvent { Position = position, BoardId = board.ToString() };
        if (removed)
        {
            integrationEvent.MemberRemoved = new MemberRemoved { Member = member };
        }
        else
        {
            integrationEvent.MemberSet = new MemberSet { Member = member };
        }
        return HubEvent.From(integrationEvent);
    }

    private static (long Position, bool MoreReady) Positioned(Delivery delivery) => (Assert.IsType<HubEvent>(delivery.Message).Position, delivery.MoreReady);

    private static async Task<List<(long Position, bool MoreReady)>> ReadDeliveriesAsync(IAsyncEnumerator<Delivery> reader, int count)
    {
        var read = new List<(long, bool)>();
        while (read.Count < count && await reader.MoveNextAsync())
        {
            read.Add(Positioned(reader.Current));
        }
        return read;
    }

    /// <summary>
    /// Reads <paramref name="count"/> events, then checks nothing else is waiting: publishing
    /// happens before reading here, so anything more would already be queued.
    /// </summary>
    private static async Task<List<long>> ReadAsync(Subscription subscription, int count, bool dispose = true)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(5));
        var positions = new List<long>();
        await using var events = subscription.ReadAllAsync(timeout.Token).GetAsyncEnumerator(timeout.Token);
        while (positions.Count < count && await events.MoveNextAsync())
        {
            positions.Add(Assert.IsType<HubEvent>(events.Current.Message).Position);
        }
        if (dispose)
        {
            subscription.Dispose(); // completes the live queue: a further MoveNext ends instead of waiting
            Assert.False(await events.MoveNextAsync(), "More events were delivered than expected.");
        }
        return positions;
    }

    /// <summary>Stands in for crud's event log only to give a head and record that the hub asked it (and for what).</summary>
    private sealed class AskedEventLog : IEventLog
    {
        public long Head { get; set; }

        public Task<long> ReadHeadAsync(CancellationToken ct) => Task.FromResult(Head);

        public Task<long> ReadPublishedAsync(CancellationToken ct) => Task.FromResult(Head);

        public (HubChannel Channel, long After)? Request { get; private set; }

        public bool Asked => Request is not null;

        /// <summary>What a backfill gets: nothing unless a test says.</summary>
        public HubEvent[] Events { get; set; } = [];

        /// <summary>After <see cref="Events"/>, the reader waits for a next page that never comes (until cancelled).</summary>
        public bool ThenNeverAnswers { get; set; }

        /// <summary>Pruned: every read is refused as crud's log refuses one from before its floor.</summary>
        public bool HistoryLost { get; set; }

        /// <summary>With <see cref="ThenNeverAnswers"/>: the next page's answer, "pruned", crosses the reader's cancellation.</summary>
        public bool PrunedWhenCancelled { get; set; }

        /// <summary>That answer was given.</summary>
        public bool ToldPruned { get; private set; }

        public IAsyncEnumerable<HubEvent> ReadAfterAsync(HubChannel channel, long afterPosition, CancellationToken ct)
        {
            Request = (channel, afterPosition);
            return HistoryLost ? throw new SubscriptionEndedException(EndReason.HistoryLost, "pruned")
                : ThenNeverAnswers ? EventsThenWaitAsync(ct) : Events.ToAsyncEnumerable();
        }

        private async IAsyncEnumerable<HubEvent> EventsThenWaitAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            foreach (var hubEvent in Events)
            {
                yield return hubEvent;
            }
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (PrunedWhenCancelled)
            {
                ToldPruned = true;
                throw new SubscriptionEndedException(EndReason.HistoryLost, "pruned");
            }
        }
    }
}
