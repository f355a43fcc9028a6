using System.Net.Sockets;
using RabbitMQ.Client;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// realtime as its own process (`dotnet Polyglot.Realtime.dll`), fed by the test as crud's relay
/// would feed it: what only a real process shows — a real SIGTERM, and its own memory.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class RealtimeProcessTests(OwnBrokerFixture fixture) : StreamingProcessTests<OwnBrokerFixture>(fixture), IClassFixture<OwnBrokerFixture>
{
    [Fact]
    public async Task StalledReadersAreCutOffOnEveryTransportWhileOthersGetEverythingAndMemoryStaysBounded()
    {
        const int Events = 800, TitleLength = 32 * 1024, HistorySize = 64;
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(120));
        await using var realtime = await Fixture.StartStreamingAsync(new()
        {
            ["Hub__SubscriberQueueCapacity"] = "32",
            ["Hub__HistorySize"] = HistorySize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var healthyChannel = SignedIn(realtime);
        using var healthy = await SubscribeWhenReadyAsync(new Contracts.Realtime.V1.Realtime.RealtimeClient(healthyChannel), timeout.Token);
        // The stalled readers: each takes its `subscribed` message, then reads nothing more.
        using var stalledChannel = SignedIn(realtime); // a connection of its own
        using var stalledGrpc = await new Contracts.Realtime.V1.Realtime.RealtimeClient(stalledChannel).SubscribeAsync("all", null, timeout.Token);
        using var invoker = new HttpMessageInvoker(SmallReceiveBuffers());
        using var stalledSocket = await ConnectWebSocketAsync(realtime, timeout.Token, invoker);
        using var stalledHttp = Http(realtime, SmallReceiveBuffers());
        await using var stalledSse = await OpenSseAsync(stalledHttp, timeout.Token);
        using var http = Http(realtime);
        var before = await StatsAsync(http, timeout.Token);
        Assert.Equal(4, before.Subscriptions);

        var received = new List<long>();
        var lastReceived = 0L;
        var receiving = Task.Run(async () =>
        {
            while (received.Count < Events && await healthy.ResponseStream.MoveNext(timeout.Token))
            {
                received.Add(healthy.ResponseStream.Current.Event.Position);
                Volatile.Write(ref lastReceived, healthy.ResponseStream.Current.Event.Position);
            }
        });
        await using (var connection = await new ConnectionFactory { Uri = new Uri(Fixture.Broker.ConnectionString) }.CreateConnectionAsync(timeout.Token))
        await using (var bus = await connection.CreateChannelAsync(cancellationToken: timeout.Token))
        {
            var board = Guid.NewGuid();
            foreach (var batch in Enumerable.Range(1, Events).Chunk(8))
            {
                await EventsExchange.PublishAsync(bus, [.. batch.Select(position => ManualBus.CardCreated(position, board, TitleLength))], timeout.Token);
                // The reader that keeps up is never more than a batch behind, well within its queue.
                await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref lastReceived) >= batch[^1]), TimeSpan.FromSeconds(30), $"the healthy reader to receive up to {batch[^1]}");
            }
        }

        // Cut off: the hub lets go of them while they still have not read.
        await Wait.UntilAsync(async () => (await StatsAsync(http, timeout.Token)).Subscriptions == 1, TimeSpan.FromSeconds(60), "the stalled readers to be cut off");
        // Each, reading again, gets what its transport had buffered and then the reason.
        var grpcEnd = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stalledGrpc.ResponseStream.MoveNext(timeout.Token))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, grpcEnd.StatusCode);
        Assert.Equal((WebSocketCloseStatus)4429, await stalledSocket.ReadUntilCloseAsync(timeout.Token));
        Assert.Equal("slow_consumer", (await stalledSse.ReadToEndAsync(timeout.Token))[^1].GetProperty("code").GetString());
        // The reader that kept up got every event, in order, meanwhile.
        await receiving;
        Assert.Equal(Enumerable.Range(1, Events).Select(p => (long)p), received);

        // What stays is the bounded history (64 events), not the 800 the stalled readers missed.
        var after = await StatsAsync(http, timeout.Token);
        const long Bound = 24L << 20;
        Assert.True(after.GcHeapBytes - before.GcHeapBytes < Bound,
            $"realtime's heap grew by {(after.GcHeapBytes - before.GcHeapBytes) >> 20} MiB (bound {Bound >> 20} MiB; the {Events} events are ~{Events * TitleLength * 3L >> 20} MiB in memory).");
    }

    [Fact]
    public async Task AWebSocketClientThatClosesWhileAWriteToItIsUnderWayGetsTheServersCloseFrameNotAnAbortedConnection()
    {
        const int Events = 200, TitleLength = 32 * 1024;
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(90));
        await using var realtime = await Fixture.StartStreamingAsync([]);
        using var healthyChannel = SignedIn(realtime);
        using var healthy = await SubscribeWhenReadyAsync(new Contracts.Realtime.V1.Realtime.RealtimeClient(healthyChannel), timeout.Token);
        using var invoker = new HttpMessageInvoker(SmallReceiveBuffers());
        using var socket = await ConnectWebSocketAsync(realtime, timeout.Token, invoker);

        // ~6.5 MB for a socket that reads nothing yet: more than the buffers between the two hold,
        // so once the hub has fanned them all out, a write to it is under way and more wait behind.
        await using (var connection = await new ConnectionFactory { Uri = new Uri(Fixture.Broker.ConnectionString) }.CreateConnectionAsync(timeout.Token))
        await using (var bus = await connection.CreateChannelAsync(cancellationToken: timeout.Token))
        {
            var board = Guid.NewGuid();
            foreach (var batch in Enumerable.Range(1, Events).Chunk(8))
            {
                await EventsExchange.PublishAsync(bus, [.. batch.Select(position => ManualBus.CardCreated(position, board, TitleLength))], timeout.Token);
            }
        }
        for (var received = 0; received < Events; received++)
        {
            Assert.True(await healthy.ResponseStream.MoveNext(timeout.Token));
        }

        // As a browser closes a tab's socket: a close frame, then it reads on until the server's.
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "leaving", timeout.Token);
        var buffer = new byte[64 * 1024];
        var messages = 0;
        ValueWebSocketReceiveResult result;
        while ((result = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token)).MessageType != WebSocketMessageType.Close)
        {
            messages += result.EndOfMessage ? 1 : 0;
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal(WebSocketState.Closed, socket.State);
        // The server stopped at the write under way: it does not send a closed socket the rest.
        Assert.InRange(messages, 1, Events - 1);
    }

    [Fact]
    public async Task PresenceCoversEveryReplicaAndAKilledReplicasSubscribersLeaveWithinItsExpiry()
    {
        var expireAfter = TimeSpan.FromSeconds(2);
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(90));
        var settings = new Dictionary<string, string> { ["Presence__Interval"] = "00:00:00.200", ["Presence__ExpireAfter"] = expireAfter.ToString() };
        await using var first = await Fixture.StartStreamingAsync(settings);
        await using var second = await Fixture.StartStreamingAsync(settings);
        using var presence = await AnnHearsBobJoinAsync(first, second, timeout.Token);

        // Each replica counts both.
        foreach (var replica in new[] { presence.OnFirst, presence.OnSecond })
        {
            await Wait.UntilAsync(async () => await presence.OnAsync(replica) == (2, "ann,bob"), TimeSpan.FromSeconds(10), "both replicas to count ann and bob");
        }

        // The second replica dies without a word: after its expiry the first takes bob for gone.
        await second.KillAsync();
        var killed = DateTime.UtcNow;
        Assert.Null(second.ProcessId);
        Assert.Equal(("bob", false, 1), await presence.AnnHearsAsync(timeout.Token));
        var droppedAfter = DateTime.UtcNow - killed;
        Assert.Equal((1, "ann"), await presence.OnAsync(presence.OnFirst));
        Assert.True(droppedAfter <= expireAfter + TimeSpan.FromSeconds(1),
            $"bob left the first replica's presence {droppedAfter.TotalSeconds:0.0} s after the second was killed (Presence:ExpireAfter {expireAfter.TotalSeconds} s, Interval 0.2 s).");
    }

    [Fact]
    public async Task APausedReplicasSubscribersComeBackAsSoonAsItIsHeardAgain()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(90));
        // A complete list on schedule only every 2,000 s: what brings bob back within the test is the first replica asking for one.
        var settings = new Dictionary<string, string> { ["Presence__Interval"] = "00:00:00.200", ["Presence__ExpireAfter"] = "00:00:02", ["Presence__CompleteEvery"] = "10000" };
        await using var first = await Fixture.StartStreamingAsync(settings);
        await using var second = await Fixture.StartStreamingAsync(settings);
        using var presence = await AnnHearsBobJoinAsync(first, second, timeout.Token);

        // Frozen past its expiry (a long GC pause), the second replica is forgotten by the first...
        await second.PauseAsync();
        try
        {
            Assert.Equal(("bob", false, 1), await presence.AnnHearsAsync(timeout.Token));
        }
        finally
        {
            await second.ResumeAsync();
        }
        // ...and once it runs on, its next announcement says only what changed (nothing): bob comes back when its complete list does.
        using var soon = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        soon.CancelAfter(TimeSpan.FromSeconds(10));
        Assert.Equal(("bob", true, 2), await presence.AnnHearsAsync(soon.Token));
        Assert.Equal((2, "ann,bob"), await presence.OnAsync(presence.OnFirst));
    }

    [Fact]
    public async Task AStoppedReplicasSubscribersLeaveTheOthersAtOnceNotAtItsExpiry()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(90));
        // Expiry far beyond the test, and announcements 3 s apart: only the stopping replica's last word makes bob leave in time.
        var settings = new Dictionary<string, string> { ["Presence__Interval"] = "00:00:03", ["Presence__ExpireAfter"] = "00:10:00" };
        await using var first = await Fixture.StartStreamingAsync(settings);
        await using var second = await Fixture.StartStreamingAsync(settings);
        using var presence = await AnnHearsBobJoinAsync(first, second, timeout.Token);

        var left = presence.AnnHearsAsync(timeout.Token);
        Assert.Equal(0, await second.TerminateAsync(ShutdownTimeout));
        using var soon = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        soon.CancelAfter(TimeSpan.FromSeconds(2));
        Assert.Equal(("bob", false, 1), await left.WaitAsync(soon.Token));
    }

    [Fact]
    public async Task AListLongerThanOneMessageTheBrokerTakesGoesInPartsAndAReplicaStartedLaterCountsEveryoneOnIt()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(120));
        // A broker of the test's own that refuses messages over 8 KiB, as RabbitMQ 4 refuses those
        // over 16 MiB: a replica's complete list passes that at about 120,000 subscribers with long ids.
        await using var broker = await LocalServer.StartRabbitMQAsync();
        await broker.StopAsync();
        await File.AppendAllTextAsync(Path.Combine(broker.DataDirectory, "rabbitmq.conf"), "max_message_size = 8192\n", timeout.Token);
        await broker.StartAsync();
        await using (var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync(timeout.Token))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token))
        {
            await channel.BasicPublishAsync("", "nobody", new byte[9000], timeout.Token);
            await Wait.UntilAsync(() => Task.FromResult(channel.IsClosed), TimeSpan.FromSeconds(10), "the broker to refuse a message of 9,000 bytes");
            Assert.Equal<ushort?>(406, channel.CloseReason?.ReplyCode); // PRECONDITION_FAILED: over max_message_size
        }
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__bus"] = broker.ConnectionString,
            ["Presence__Interval"] = "00:00:00.200",
            ["Presence__MaxMessageBytes"] = "2048",
        };
        await using var second = await Fixture.StartStreamingAsync(settings);
        using var secondChannel = SignedIn(second);
        var onSecond = new Contracts.Realtime.V1.Realtime.RealtimeClient(secondChannel);
        var board = $"board:{Guid.CreateVersion7()}";
        // 80 subscribers with ids of 120 characters: about 10 KB of ids.
        var ids = Enumerable.Range(0, 80).Select(i => $"{i:00}".PadRight(120, 'x')).ToList();
        var streams = new List<AsyncServerStreamingCall<SubscribeResponse>>();
        try
        {
            foreach (var id in ids)
            {
                streams.Add(await SubscribeWhenReadyAsync(onSecond, timeout.Token, new SubscribeRequest { Channel = board, SubscriberId = id }));
            }

            // Started after they joined, the first hears of them only through the second's complete list.
            await using var first = await Fixture.StartStreamingAsync(settings);
            using var firstChannel = SignedIn(first);
            var onFirst = new Contracts.Realtime.V1.Realtime.RealtimeClient(firstChannel);
            await Wait.UntilAsync(async () =>
            {
                try
                {
                    return (await onFirst.GetPresenceAsync(new GetPresenceRequest { Channel = board }, cancellationToken: timeout.Token)).SubscriberIds.SequenceEqual(ids);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
                {
                    return false; // still starting
                }
            }, TimeSpan.FromSeconds(30), "the first replica to count the second's 80 subscribers");
        }
        finally
        {
            streams.ForEach(stream => stream.Dispose());
        }
    }

    /// <summary>
    /// ann watches a board's presence on <paramref name="first"/> and bob subscribes to it on
    /// <paramref name="second"/>; returns once ann has heard bob join across the replicas.
    /// </summary>
    private async Task<AnnAndBob> AnnHearsBobJoinAsync(ServiceProcess first, ServiceProcess second, CancellationToken ct)
    {
        var firstChannel = SignedIn(first);
        var secondChannel = SignedIn(second);
        var onFirst = new Contracts.Realtime.V1.Realtime.RealtimeClient(firstChannel);
        var onSecond = new Contracts.Realtime.V1.Realtime.RealtimeClient(secondChannel);
        var board = $"board:{Guid.CreateVersion7()}";
        var ann = await SubscribeWhenReadyAsync(onFirst, ct, new SubscribeRequest { Channel = board, SubscriberId = "ann", Presence = true });
        var bob = await SubscribeWhenReadyAsync(onSecond, ct, new SubscribeRequest { Channel = board, SubscriberId = "bob" });
        var presence = new AnnAndBob(board, firstChannel, secondChannel, onFirst, onSecond, ann, bob);
        Assert.Equal(("bob", true, 2), await presence.AnnHearsAsync(ct));
        return presence;
    }

    private sealed record AnnAndBob(
        string Board, GrpcChannel FirstChannel, GrpcChannel SecondChannel,
        Contracts.Realtime.V1.Realtime.RealtimeClient OnFirst, Contracts.Realtime.V1.Realtime.RealtimeClient OnSecond,
        AsyncServerStreamingCall<SubscribeResponse> Ann, AsyncServerStreamingCall<SubscribeResponse> Bob) : IDisposable
    {
        /// <summary>The next presence change ann's watcher hears: who, joined or left, and the count after.</summary>
        public async Task<(string, bool, int)> AnnHearsAsync(CancellationToken ct)
        {
            Assert.True(await Ann.ResponseStream.MoveNext(ct));
            var change = Ann.ResponseStream.Current.PresenceChanged;
            return (change.SubscriberId, change.Joined, change.Count);
        }

        /// <summary>The board's presence as <paramref name="replica"/> counts it.</summary>
        public async Task<(int, string)> OnAsync(Contracts.Realtime.V1.Realtime.RealtimeClient replica)
        {
            var presence = await replica.GetPresenceAsync(new GetPresenceRequest { Channel = Board });
            return (presence.Count, string.Join(",", presence.SubscriberIds));
        }

        public void Dispose()
        {
            Ann.Dispose();
            Bob.Dispose();
            FirstChannel.Dispose();
            SecondChannel.Dispose();
        }
    }

    [Fact]
    public async Task AnUnreadableMessageShowsInMassTransitsConsumeErrorMetricAsAnOperatorReadsIt()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(90));
        const string Queue = "realtime.consume-errors";
        await using var realtime = await Fixture.StartStreamingAsync(new() { ["Bus__QueueName"] = Queue });
        using var http = Http(realtime);
        await Wait.UntilAsync(async () => (await http.GetAsync("/health", timeout.Token)).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "realtime to consume");
        // What an operator runs against a live process: dotnet-counters, on MassTransit's meter
        // (and the runtime's, whose first figures show the session is up).
        var counters = Path.Combine(Path.GetTempPath(), $"polyglot-counters-{Guid.NewGuid():N}.json");
        using var collector = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet",
            ["dotnet-counters", "collect", "-p", realtime.ProcessId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--counters", "MassTransit,System.Runtime", "--format", "json", "-o", counters, "--refresh-interval", "1"])
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            await Wait.UntilAsync(() => Task.FromResult(File.Exists(counters) && File.ReadAllText(counters).Contains("System.Runtime", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30), "dotnet-counters to report");
            Assert.DoesNotContain(ConsumeErrors(counters), value => value > 0);

            await using (var connection = await new ConnectionFactory { Uri = new Uri(Fixture.Broker.ConnectionString) }.CreateConnectionAsync(timeout.Token))
            await using (var bus = await connection.CreateChannelAsync(cancellationToken: timeout.Token))
            {
                var broken = ManualBus.CardCreated(1, Guid.NewGuid(), 8) with { Payload = "not protobuf"u8.ToArray() };
                await EventsExchange.PublishAsync(bus, [broken], timeout.Token);
                await Wait.UntilAsync(async () => await ManualBus.MessagesInAsync(connection, $"{Queue}_error") == 1, TimeSpan.FromSeconds(30), "the unreadable message in the error queue");
            }

            await Wait.UntilAsync(() => Task.FromResult(ConsumeErrors(counters).Any(value => value > 0)), TimeSpan.FromSeconds(30),
                "messaging.masstransit.consume.errors to count the unreadable message");
        }
        finally
        {
            collector.Kill();
            await collector.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>The values dotnet-counters wrote so far for MassTransit's consume-error counter.</summary>
    private static IEnumerable<double> ConsumeErrors(string file) =>
        System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), @"""name"":\s*""messaging\.masstransit\.consume\.errors[^""]*"".*?""value"":\s*([0-9.eE+-]+)")
            .Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Client sockets that buffer little, like a phone on a poor network: otherwise Linux's
    /// autotuned receive buffer (up to tcp_rmem's maximum, often 6–32 MB) would soak up what a stalled reader leaves.
    /// </summary>
    private static SocketsHttpHandler SmallReceiveBuffers() => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 16 * 1024 };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
