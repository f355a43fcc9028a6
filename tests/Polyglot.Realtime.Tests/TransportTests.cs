using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>WebSocket and SSE over real sockets: the same events as gRPC, the same resume, clear refusals.</summary>
public abstract class TransportTests<TFixture>(TFixture fixture) where TFixture : TopologyFixture
{
    private readonly HttpClient _http = fixture.StreamingHttp();

    [Fact]
    public async Task WebSocketAndSseCarryTheSameEventsAsGrpcInTheSameOrder()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Parity" });
        var channel = $"board:{board.Id}";
        using var grpc = await fixture.RealtimeClient.SubscribeAsync(channel, 0, timeout.Token);
        using var socket = await fixture.ConnectWebSocketAsync($"channel={channel}&after=0", timeout.Token);
        await using var sse = await SseStream.OpenAsync(_http, $"channel={channel}&after=0", timeout.Token);
        Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());
        var subscribed = await sse.ReadAsync(timeout.Token);
        Assert.Equal("subscribed", subscribed.Data.GetProperty("type").GetString());
        // Its id is where the stream starts: a browser cut off before the first event resumes from there.
        Assert.Equal(subscribed.Data.GetProperty("position").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), subscribed.Id);

        await fixture.RenameAsync(board, "Renamed", 1);
        await fixture.RenameAsync(board, "Renamed again", 2);

        var viaGrpc = (await Streams.ReadEventsAsync(grpc.ResponseStream, 3, timeout.Token)).Select(e => (e.Position, e.EventId)).ToList();
        var viaWebSocket = new List<(long, string)>();
        var viaSse = new List<(long, string)>();
        for (var i = 0; i < 3; i++)
        {
            viaWebSocket.Add(EventOf(await socket.ReceiveJsonAsync(timeout.Token)));
            var item = await sse.ReadAsync(timeout.Token);
            var (position, eventId) = EventOf(item.Data);
            Assert.Equal(position.ToString(), item.Id);
            viaSse.Add((position, eventId));
        }
        Assert.Equal(viaGrpc, viaWebSocket);
        Assert.Equal(viaGrpc, viaSse);
    }

    [Fact]
    public async Task TheStreamingSidesMeterCountsEachTransportsSubscriptionsAndDeliveries()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        var meters = fixture.StreamingServices.GetRequiredService<IMeterFactory>();
        using var subscriptions = new MetricCollector<long>(meters, HubMetrics.MeterName, "polyglot.hub.subscriptions");
        using var deliveries = new MetricCollector<long>(meters, HubMetrics.MeterName, "polyglot.hub.deliveries");
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Metered" });
        var channel = $"board:{board.Id}";
        using (var grpc = await fixture.RealtimeClient.SubscribeAsync(channel, 0, timeout.Token))
        using (var socket = await fixture.ConnectWebSocketAsync($"channel={channel}&after=0", timeout.Token))
        await using (var sse = await SseStream.OpenAsync(_http, $"channel={channel}&after=0", timeout.Token))
        {
            await socket.ReceiveJsonAsync(timeout.Token); // subscribed
            await sse.ReadAsync(timeout.Token);
            await fixture.RenameAsync(board, "Counted", 1);
            // Two events each (created, renamed): the first counts once the transport comes back for the second.
            await Streams.ReadEventsAsync(grpc.ResponseStream, 2, timeout.Token);
            await socket.ReceiveJsonAsync(timeout.Token);
            await socket.ReceiveJsonAsync(timeout.Token);
            await sse.ReadAsync(timeout.Token);
            await sse.ReadAsync(timeout.Token);
            foreach (var transport in new[] { "grpc", "websocket", "sse" })
            {
                Assert.Equal(1, subscriptions.GetMeasurementSnapshot().Count(m => m.Value == 1 && (string?)m.Tags["transport"] == transport));
                await Wait.UntilAsync(() => Task.FromResult(deliveries.GetMeasurementSnapshot().Any(m => (string?)m.Tags["transport"] == transport)),
                    TimeSpan.FromSeconds(5), $"a delivery over {transport} to be counted");
            }
        }
        foreach (var transport in new[] { "grpc", "websocket", "sse" })
        {
            await Wait.UntilAsync(() => Task.FromResult(subscriptions.GetMeasurementSnapshot().Any(m => m.Value == -1 && (string?)m.Tags["transport"] == transport)),
                TimeSpan.FromSeconds(5), $"the {transport} subscription to be counted off once closed");
        }
    }

    [Fact]
    public async Task AnSseClientResumesWithLastEventIdAndAWebSocketWithAfter()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        // A gRPC observer shows when realtime has the events, so the text clients below really
        // resume from history rather than happen to catch the rename live.
        using var observed = await fixture.ObserveNewBoardAsync("Resume over text", timeout.Token);
        var (board, channel, created) = (observed.Board, observed.Channel, observed.Created);
        await fixture.RenameAsync(board, "Missed", 1);
        await Streams.ReadEventsAsync(observed.Observer.ResponseStream, 1, timeout.Token);

        await using var sse = await SseStream.OpenAsync(_http, $"channel={channel}", timeout.Token, lastEventId: created.ToString());
        using var socket = await fixture.ConnectWebSocketAsync($"channel={channel}&after={created}", timeout.Token);
        // An empty Last-Event-ID names no position: after= stands (it went live, skipping the rename).
        await using var sseAfter = await SseStream.OpenAsync(_http, $"channel={channel}&after={created}", timeout.Token, lastEventId: "");

        await sse.ReadAsync(timeout.Token); // subscribed
        await socket.ReceiveJsonAsync(timeout.Token);
        await sseAfter.ReadAsync(timeout.Token);
        var viaSse = (await sse.ReadAsync(timeout.Token)).Data;
        var viaWebSocket = await socket.ReceiveJsonAsync(timeout.Token);
        var viaSseAfter = (await sseAfter.ReadAsync(timeout.Token)).Data;
        Assert.Equal("Missed", viaSse.GetProperty("event").GetProperty("boardUpdated").GetProperty("board").GetProperty("name").GetString());
        Assert.Equal(EventOf(viaSse), EventOf(viaWebSocket));
        Assert.Equal(EventOf(viaSse), EventOf(viaSseAfter));
    }

    [Theory]
    [InlineData("/sse?channel=board:42", "channel")]
    [InlineData("/sse?channel=all&after=-3", "after")]
    [InlineData("/sse", "channel")]
    [InlineData("/ws?channel=all", "upgrade")]
    public async Task BadRequestsGetProblemDetailsNamingTheField(string path, string field)
    {
        var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>();
        Assert.Contains(field, problem!.Errors.Keys);
    }

    [Fact]
    public async Task AWebSocketUpgradeForAMalformedChannelIsRefusedWith400()
    {
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        socket.Options.SetRequestHeader("Authorization", $"Bearer {await fixture.TokenAsync()}");

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(TextStreams.WebSocketUri(fixture.StreamingHttpAddress, "channel=boards"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
    }

    private static (long Position, string EventId) EventOf(JsonElement message)
    {
        Assert.Equal("event", message.GetProperty("type").GetString());
        var integrationEvent = message.GetProperty("event");
        // proto3 JSON writes int64 as a string.
        Assert.Equal(message.GetProperty("position").GetInt64().ToString(), integrationEvent.GetProperty("position").GetString());
        return (message.GetProperty("position").GetInt64(), integrationEvent.GetProperty("eventId").GetString()!);
    }
}

[Collection(SplitCollection.Name)]
public sealed class SplitTransportTests(SplitFixture fixture) : TransportTests<SplitFixture>(fixture), IClassFixture<SplitFixture>;

[Collection(MonolithCollection.Name)]
public sealed class MonolithTransportTests(MonolithFixture fixture) : TransportTests<MonolithFixture>(fixture), IClassFixture<MonolithFixture>;
