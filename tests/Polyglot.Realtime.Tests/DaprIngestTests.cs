using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Polyglot.Contracts.Events;
using Polyglot.Realtime.Dapr;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// realtime's CloudEvents route, fed CloudEvents built by the CloudEvents SDK (an independent
/// implementation) in both of Dapr's forms: what crud published, reordered, doubled, and broken.
/// </summary>
public sealed class DaprIngestTests(DaprCaptureFixture fixture) : IClassFixture<DaprCaptureFixture>
{
    [Fact]
    public async Task TheSubscribeHandlerAnnouncesTheTopicOfPubsubAndItsRoute()
    {
        using var http = new HttpClient { BaseAddress = fixture.Realtime.HttpAddress, DefaultRequestHeaders = { { "dapr-api-token", DaprFixture.AppToken } } };

        var subscriptions = await http.GetFromJsonAsync<JsonElement>("/dapr/subscribe");

        var subscription = Assert.Single(subscriptions.EnumerateArray());
        var fields = subscription.EnumerateObject().ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value.ToString());
        Assert.Equal(IntegrationEventBatch.PubSubName, fields["pubsubname"]);
        Assert.Equal(IntegrationEventBatch.ExchangeName, fields["topic"]);
        Assert.Equal(DaprBus.Route.TrimStart('/'), fields["route"].TrimStart('/'));
    }

    [Fact]
    public async Task CloudEventsInBothFormsStreamInOrderEachOnceThroughAGapAndDuplicates()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.BoardRenamedAsync(renames: 5, timeout.Token);
        var boardId = Guid.Parse(board.Id);
        await Wait.UntilAsync(() => Task.FromResult(DaprEvents.Of(fixture.Sidecar.Published).Count(e => e.BoardId == boardId) == 6), TimeSpan.FromSeconds(20), "crud to publish the board's six events");
        var events = DaprEvents.Of(fixture.Sidecar.Published).Where(e => e.BoardId == boardId).ToList();
        using var stream = fixture.RealtimeClient.Subscribe(new SubscribeRequest { Channel = $"board:{board.Id}" }, cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token)); // subscribed

        // 0 and 1 in order; 0 again; 3 before 2 (2 is read from crud's log); 2 late; then 4 and 5.
        foreach (var (index, asBase64) in new[] { (0, false), (1, true), (0, false), (3, true), (2, false), (4, true), (5, false) })
        {
            Assert.Equal("SUCCESS", await PostAsync(DaprSidecar.CloudEventOf(DaprEvents.Single(events[index]), asBase64), timeout.Token));
        }

        var received = new List<string>();
        while (received.Count < 6 && await stream.ResponseStream.MoveNext(timeout.Token))
        {
            received.Add(stream.ResponseStream.Current.Event.PayloadCase == IntegrationEvent.PayloadOneofCase.BoardCreated
                ? stream.ResponseStream.Current.Event.BoardCreated.Board.Name
                : stream.ResponseStream.Current.Event.BoardUpdated.Board.Name);
        }
        Assert.Equal(["v0", "v1", "v2", "v3", "v4", "v5"], received);
        // Nothing more: a seventh message would be a duplicate.
        await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = 6, Name = "v6" }, cancellationToken: timeout.Token);
        await Wait.UntilAsync(() => Task.FromResult(DaprEvents.Of(fixture.Sidecar.Published).Count(e => e.BoardId == boardId) == 7), TimeSpan.FromSeconds(20), "crud to publish v6");
        Assert.Equal("SUCCESS", await PostAsync(DaprSidecar.CloudEventOf(DaprEvents.Single(DaprEvents.Of(fixture.Sidecar.Published).Last(e => e.BoardId == boardId)), asBase64: false), timeout.Token));
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal("v6", stream.ResponseStream.Current.Event.BoardUpdated.Board.Name);
    }

    [Fact]
    public async Task TheRoutesAnswerOnlyTheSidecarsTokenSoNoOneElseCanPostEvents()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.BoardRenamedAsync(renames: 0, timeout.Token);
        var boardId = Guid.Parse(board.Id);
        await Wait.UntilAsync(() => Task.FromResult(DaprEvents.Of(fixture.Sidecar.Published).Any(e => e.BoardId == boardId)), TimeSpan.FromSeconds(20), "crud to publish the board");
        var created = DaprSidecar.CloudEventOf(DaprEvents.Single(DaprEvents.Of(fixture.Sidecar.Published).Single(e => e.BoardId == boardId)), asBase64: false);
        var hub = fixture.Realtime.Services.GetRequiredService<ChannelHub>();
        var head = hub.Head;
        using var http = new HttpClient { BaseAddress = fixture.Realtime.HttpAddress };

        using var withoutToken = await PostAsAsync(null, created, fixture.Route, timeout.Token);
        using var withAnother = await PostAsAsync("not-the-sidecars", created, fixture.Route, timeout.Token);
        using var subscribeWithout = await http.GetAsync("/dapr/subscribe", timeout.Token);

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized],
            [withoutToken.StatusCode, withAnother.StatusCode, subscribeWithout.StatusCode]);
        Assert.Equal(head, hub.Head); // nothing reached the hub
        // The same event, with the sidecar's token, is taken.
        Assert.Equal("SUCCESS", await PostAsync(created, timeout.Token));
        Assert.True(hub.Head > head);
    }

    public static TheoryData<string, string, byte[]> UnreadableBodies() => new()
    {
        { "text that is not JSON", "text/plain", "hello"u8.ToArray() },
        { "bytes that are not UTF-8", "application/octet-stream", [0xC3, 0x28] },
        { "JSON without events", "application/json", "{}"u8.ToArray() },
        { "events that are not a list", "application/json", """{"events":"all of them"}"""u8.ToArray() },
        { "a JSON array", "application/json", "[1,2,3]"u8.ToArray() },
        { "a null event", "application/json", """{"events":[null]}"""u8.ToArray() },
        { "an event without a payload", "application/json", """{"events":[{"position":1,"eventId":"01a21e29-489b-7b6e-a9a3-2c8caa6c45ef","boardId":"01a21e29-4898-75ee-a8e8-133ef42efd99","type":"BoardCreated","occurredAt":"2026-11-27T17:59:11Z"}]}"""u8.ToArray() },
        { "a payload that is not base64", "application/json", """{"events":[{"position":1,"eventId":"01a21e29-489b-7b6e-a9a3-2c8caa6c45ef","boardId":"01a21e29-4898-75ee-a8e8-133ef42efd99","type":"BoardCreated","occurredAt":"2026-11-27T17:59:11Z","payload":"***"}]}"""u8.ToArray() },
        { "a payload that is not protobuf", "application/json", """{"events":[{"position":1,"eventId":"01a21e29-489b-7b6e-a9a3-2c8caa6c45ef","boardId":"01a21e29-4898-75ee-a8e8-133ef42efd99","type":"BoardCreated","occurredAt":"2026-11-27T17:59:11Z","payload":"/////w8="}]}"""u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task ABodyThatIsNotABatchIsDroppedAndCounted(string @case, string contentType, byte[] data)
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(15));
        using var dropped = new MetricCollector<long>(fixture.Realtime.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Polyglot.Realtime.Dapr", "polyglot.dapr.dropped");
        var cloudEvent = new CloudEvent
        {
            Id = Guid.NewGuid().ToString(),
            Source = new Uri("test", UriKind.Relative),
            Type = "com.dapr.event.sent",
            DataContentType = contentType,
            // JSON goes in `data`, anything else in `data_base64`, as a sidecar would put it.
            Data = contentType == "application/json" ? JsonDocument.Parse(data).RootElement : data,
        };

        Assert.True(await PostAsync(cloudEvent, timeout.Token) == "DROP", @case);

        Assert.Equal(1, dropped.GetMeasurementSnapshot().EvaluateAsCounter());
        using var http = new HttpClient { BaseAddress = fixture.Realtime.HttpAddress };
        Assert.Equal("Healthy", await http.GetStringAsync("/health", timeout.Token));
    }

    [Fact]
    public async Task UntilItsHubIsOpenRealtimeAnswersRetrySoDaprDeliversAgain()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Too early" }, cancellationToken: timeout.Token);
        var boardId = Guid.Parse(board.Id);
        await Wait.UntilAsync(() => Task.FromResult(DaprEvents.Of(fixture.Sidecar.Published).Any(e => e.BoardId == boardId)), TimeSpan.FromSeconds(20), "crud to publish");
        // A realtime whose crud never answers cannot learn the log's head, so its hub never opens.
        var nowhere = new Uri($"http://127.0.0.1:{Ports.Free()}");
        await using var starting = DaprFixture.StartRealtime(nowhere, nowhere);
        using var http = new HttpClient { BaseAddress = starting.HttpAddress };
        Assert.False((await http.GetAsync("/health", timeout.Token)).IsSuccessStatusCode);

        var answer = await PostAsync(DaprSidecar.CloudEventOf(DaprEvents.Single(DaprEvents.Of(fixture.Sidecar.Published).First(e => e.BoardId == boardId)), asBase64: true), timeout.Token, new Uri(starting.HttpAddress, DaprBus.Route));

        Assert.Equal("RETRY", answer);
    }

    private async Task<string> PostAsync(CloudEvent cloudEvent, CancellationToken ct, Uri? route = null)
    {
        using var response = await PostAsAsync(DaprFixture.AppToken, cloudEvent, route ?? fixture.Route, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString()!;
    }

    /// <summary>A CloudEvent posted with <paramref name="appToken"/> as Dapr's app API token (none when null).</summary>
    private static async Task<HttpResponseMessage> PostAsAsync(string? appToken, CloudEvent cloudEvent, Uri route, CancellationToken ct)
    {
        var body = new JsonEventFormatter().EncodeStructuredModeMessage(cloudEvent, out var contentType);
        using var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new(contentType.MediaType);
        using var http = new HttpClient();
        if (appToken is not null)
        {
            http.DefaultRequestHeaders.Add("dapr-api-token", appToken);
        }
        return await http.PostAsync(route, content, ct);
    }
}
