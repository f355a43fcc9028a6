using System.Net;
using System.Net.WebSockets;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Polyglot.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// Shutting realtime down the way SIGTERM does (the host's StopApplication, in process here)
/// ends every stream at once with "reconnect and resume", and the host stops promptly.
/// Its own fixture: the realtime in it does not come back.
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class DrainTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    [Fact]
    public async Task StoppingEndsEveryStreamOnEveryTransportWithReconnectAndResume()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var grpc = await fixture.RealtimeClient.SubscribeAsync("all", null, timeout.Token);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(fixture.Realtime.HttpAddress) { Scheme = "ws", Path = "/ws", Query = "channel=all" }.Uri, timeout.Token);
        using var http = new HttpClient { BaseAddress = fixture.Realtime.HttpAddress };
        using var sse = await http.GetStreamAsync("/sse?channel=all", timeout.Token);
        var sseLines = new StreamReader(sse, Encoding.UTF8);
        Assert.StartsWith("data: {\"type\":\"subscribed\"", await sseLines.ReadLineAsync(timeout.Token));
        var lifetime = fixture.Realtime.Services.GetRequiredService<IHostApplicationLifetime>();

        lifetime.StopApplication();

        var error = await Assert.ThrowsAsync<RpcException>(() => grpc.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var buffer = new byte[4096];
        var last = await socket.ReceiveAsync(buffer, timeout.Token);
        while (last.MessageType != WebSocketMessageType.Close)
        {
            last = await socket.ReceiveAsync(buffer, timeout.Token);
        }
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.CloseStatus);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "reconnecting", timeout.Token);
        var lines = new List<string>();
        while (await sseLines.ReadLineAsync(timeout.Token) is { } line)
        {
            lines.Add(line);
        }
        Assert.Contains(lines, l => l.Contains("\"code\":\"draining\""));
        await Wait.UntilAsync(() => Task.FromResult(lifetime.ApplicationStopped.IsCancellationRequested), TimeSpan.FromSeconds(10), "realtime to stop");
    }
}
