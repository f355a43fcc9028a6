using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Rpc;
using Grpc.Core;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Realtime.V1;
using Polyglot.Crud.Data;
using Polyglot.Crud.Grpc;
using Polyglot.Realtime.Grpc;
using Polyglot.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>crud and realtime as separate hosts on one real RabbitMQ: events cross the bus into the streams.</summary>
public sealed class SplitFixture : IAsyncLifetime
{
    private string _bus = "";

    public ServiceHost<BoardsService> Crud { get; private set; } = null!;
    public ServiceHost<RealtimeService> Realtime { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _bus = (await LocalServer.RabbitMQAsync()).ConnectionString;
        Crud = new ServiceHost<BoardsService>(new Dictionary<string, string?>
        {
            ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
            ["ConnectionStrings:db"] = $"Data Source={Path.Combine(Path.GetTempPath(), $"polyglot-test-{Guid.NewGuid():N}.db")}",
            ["ConnectionStrings:bus"] = _bus,
        });
        await StartRealtimeAsync();
    }

    /// <summary>
    /// Replaces realtime with a new instance on a queue of its own, as a rescheduled replica
    /// would come back: empty history, and what happened meanwhile is only in crud's log.
    /// </summary>
    public async Task ReplaceRealtimeAsync(Func<Task> whileDown)
    {
        await Realtime.DisposeAsync();
        await whileDown();
        await StartRealtimeAsync();
    }

    private async Task StartRealtimeAsync()
    {
        Realtime = new ServiceHost<RealtimeService>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:bus"] = _bus,
            ["Bus:QueueName"] = $"realtime-test-{Guid.NewGuid():N}",
            ["Crud:Address"] = Crud.GrpcAddress.ToString(),
        });
        // The queue exists once realtime's bus is up: until then RabbitMQ would drop events.
        using var http = new HttpClient { BaseAddress = Realtime.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "realtime to be healthy");
    }

    public async Task DisposeAsync()
    {
        await Realtime.DisposeAsync();
        await Crud.DisposeAsync();
    }
}

/// <summary>
/// The classes with a <see cref="SplitFixture"/> take turns: they share the test RabbitMQ, and
/// two cruds publishing at once would mix their positions on the events exchange.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SplitCollection
{
    public const string Name = "split";
}

[Collection(SplitCollection.Name)]
public sealed class BusTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    private readonly Contracts.Realtime.V1.Realtime.RealtimeClient _realtime = new(fixture.Realtime.CreateGrpcChannel());
    private readonly Boards.BoardsClient _boards = new(fixture.Crud.CreateGrpcChannel());
    private readonly Columns.ColumnsClient _columns = new(fixture.Crud.CreateGrpcChannel());
    private readonly Cards.CardsClient _cards = new(fixture.Crud.CreateGrpcChannel());

    [Fact]
    public async Task ChangesOnCrudReachAFirehoseSubscriberInPositionOrder()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var stream = _realtime.Subscribe(new SubscribeRequest { Channel = "all" }, cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(SubscribeResponse.MessageOneofCase.Subscribed, stream.ResponseStream.Current.MessageCase);

        var board = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Over the bus" });
        var column = await _columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var card = await _cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "Travelled" });

        var events = await Streams.ReadEventsAsync(stream.ResponseStream, 3, timeout.Token);
        Assert.Equal(
            [IntegrationEvent.PayloadOneofCase.BoardCreated, IntegrationEvent.PayloadOneofCase.ColumnCreated, IntegrationEvent.PayloadOneofCase.CardCreated],
            events.Select(e => e.PayloadCase));
        Assert.Equal(card, events[2].CardCreated.Card);
        Assert.True(events[0].Position < events[1].Position && events[1].Position < events[2].Position);
    }

    [Fact]
    public async Task ABoardSubscriberGetsThatBoardOnly()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var mine = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Mine" });
        var other = await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Other" });
        using var stream = _realtime.Subscribe(new SubscribeRequest { Channel = $"board:{mine.Id}" }, cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));

        await _boards.UpdateBoardAsync(new UpdateBoardRequest { Id = other.Id, Version = 1, Name = "Other 2" });
        await _boards.UpdateBoardAsync(new UpdateBoardRequest { Id = mine.Id, Version = 1, Name = "Mine 2" });

        // Mine's BoardCreated may still have been on its way when the stream opened; other's
        // update commits before mine's, so a misrouted event would arrive before "Mine 2".
        var received = new List<IntegrationEvent>();
        while (received.LastOrDefault()?.PayloadCase != IntegrationEvent.PayloadOneofCase.BoardUpdated)
        {
            received.AddRange(await Streams.ReadEventsAsync(stream.ResponseStream, 1, timeout.Token));
        }
        Assert.All(received, e => Assert.Equal(mine.Id, e.BoardId));
        Assert.Equal("Mine 2", received[^1].BoardUpdated.Board.Name);
    }

    [Fact]
    public async Task OneTraceFollowsARequestThroughCrudTheBusAndRealtime()
    {
        using var source = new ActivitySource("Polyglot.Tests");
        var consumers = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Polyglot.Tests" or "MassTransit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.Kind == ActivityKind.Consumer)
                {
                    consumers.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        ActivityTraceId traceId;
        using (var request = source.StartActivity("client request")!)
        {
            traceId = request.TraceId;
            await _boards.CreateBoardAsync(new CreateBoardRequest { Name = "Traced" });
        }

        // realtime's consume span is in the client's trace: crud's request span, the outbox row's
        // saved trace context, the relay's publish and the bus headers all carried it.
        await Wait.UntilAsync(
            () => Task.FromResult(consumers.Any(a => a.TraceId == traceId && a.Source.Name == "MassTransit")),
            TimeSpan.FromSeconds(10),
            "realtime's consumer span in the request's trace");
    }

    [Theory]
    [InlineData("board:42")]
    [InlineData("boards")]
    [InlineData("")]
    public async Task AMalformedChannelIsInvalidArgument(string channel)
    {
        using var stream = _realtime.Subscribe(new SubscribeRequest { Channel = channel });

        var error = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("channel", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}

internal static class Streams
{
    public static async Task<List<IntegrationEvent>> ReadEventsAsync(IAsyncStreamReader<SubscribeResponse> stream, int count, CancellationToken ct)
    {
        var events = new List<IntegrationEvent>();
        while (events.Count < count && await stream.MoveNext(ct))
        {
            Assert.Equal(SubscribeResponse.MessageOneofCase.Event, stream.Current.MessageCase);
            events.Add(stream.Current.Event);
        }
        return events;
    }

    /// <summary>Opens a subscription and waits for its `subscribed` message: from then on the stream is live.</summary>
    public static async Task<AsyncServerStreamingCall<SubscribeResponse>> SubscribeAsync(
        this Contracts.Realtime.V1.Realtime.RealtimeClient client, string channel, long? afterPosition, CancellationToken ct)
    {
        var request = new SubscribeRequest { Channel = channel };
        if (afterPosition is { } after)
        {
            request.AfterPosition = after;
        }
        var stream = client.Subscribe(request, cancellationToken: ct);
        Assert.True(await stream.ResponseStream.MoveNext(ct));
        Assert.Equal(SubscribeResponse.MessageOneofCase.Subscribed, stream.ResponseStream.Current.MessageCase);
        return stream;
    }
}
