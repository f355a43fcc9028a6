namespace Polyglot.Realtime.Tests;

/// <summary>
/// Access tokens are secrets: with realtime logging everything (Trace) and every activity
/// recorded, a token appears in no log line and no trace — in gRPC metadata, or in the
/// <c>access_token</c> query parameter that browsers use, since they can put no header on a
/// WebSocket or an EventSource.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class SecretsInTelemetryTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    [Fact]
    public async Task AnAccessTokenInGrpcMetadataOrTheQueryOfAWebSocketOrSseSubscriptionIsNeitherLoggedNorTraced()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        using var telemetry = new TelemetryRecorder();
        // Everything at Trace, the host's request lines by name too: no setting may turn them on.
        await using var realtime = await fixture.StartRealtimeReplicaAsync(
            TelemetryRecorder.TraceEverything.Append(new("Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics", "Trace")), telemetry.Register);
        // Three tokens of a member's, one per way in, so that a leak names its way.
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Secrets" }, cancellationToken: timeout.Token);
        await fixture.Members.SetMemberAsync(new SetMemberRequest { BoardId = board.Id, User = "member", Role = Role.Viewer }, cancellationToken: timeout.Token);
        var (overGrpc, overWebSocket, overSse) = (await fixture.TokenAsync("member"), await fixture.TokenAsync("member"), await fixture.TokenAsync("member"));
        var channel = $"board:{board.Id}";

        using (var connection = Grpc.Net.Client.GrpcChannel.ForAddress(realtime.GrpcAddress))
        using (var grpc = await new Contracts.Realtime.V1.Realtime.RealtimeClient(connection).SubscribeAsync(new SubscribeRequest { Channel = channel },
            timeout.Token, new Metadata { { "authorization", $"Bearer {overGrpc}" } }))
        {
        }
        using (var socket = await TextStreams.ConnectWebSocketAsync(realtime.HttpAddress, $"channel={channel}&access_token={overWebSocket}", token: null, timeout.Token))
        {
            Assert.Equal("subscribed", (await socket.ReceiveJsonAsync(timeout.Token)).GetProperty("type").GetString());
        }
        using (var http = new HttpClient { BaseAddress = realtime.HttpAddress })
        await using (var sse = await SseStream.OpenAsync(http, $"channel={channel}&access_token={overSse}", timeout.Token))
        {
            Assert.Equal("subscribed", (await sse.ReadAsync(timeout.Token)).Data.GetProperty("type").GetString());
        }

        Assert.True(telemetry.Recorded("Microsoft.AspNetCore"));
        Assert.Empty(telemetry.Leaks(overGrpc, overWebSocket, overSse));
    }
}
