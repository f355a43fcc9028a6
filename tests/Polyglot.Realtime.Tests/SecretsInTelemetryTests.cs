namespace Polyglot.Realtime.Tests;

/// <summary>
/// Browsers can put no header on a WebSocket or an EventSource, so they send their token as an
/// <c>access_token</c> query parameter: with realtime logging everything (Trace) and every
/// activity recorded, that value appears in no log line and no trace.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class SecretsInTelemetryTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    [Fact]
    public async Task AnAccessTokenInTheQueryOfAWebSocketOrSseSubscriptionIsNeitherLoggedNorTraced()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var telemetry = new TelemetryRecorder();
        await using var realtime = await fixture.StartRealtimeReplicaAsync(TelemetryRecorder.TraceEverything, telemetry.Register);
        var (overWebSocket, overSse) = ($"ws-{Guid.NewGuid():N}", $"sse-{Guid.NewGuid():N}");
        var channel = $"board:{Guid.NewGuid()}";

        using (var socket = await TextStreams.ConnectWebSocketAsync(realtime.HttpAddress, $"channel={channel}&access_token={overWebSocket}", timeout.Token))
        {
            Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());
        }
        using (var http = new HttpClient { BaseAddress = realtime.HttpAddress })
        await using (var sse = await SseStream.OpenAsync(http, $"channel={channel}&access_token={overSse}", timeout.Token))
        {
            Assert.Equal("subscribed", (await sse.ReadAsync(timeout.Token)).Data.GetProperty("type").GetString());
        }

        Assert.True(telemetry.Recorded("Microsoft.AspNetCore"));
        Assert.Empty(telemetry.Leaks(overWebSocket, overSse));
    }
}
