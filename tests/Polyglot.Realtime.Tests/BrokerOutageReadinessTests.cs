namespace Polyglot.Realtime.Tests;

/// <summary>
/// Readiness through a broker outage (a real stop of a node of this test's own). No replica could
/// do better without the broker, so none may be taken out of service: realtime keeps its
/// subscribers and takes new ones. MassTransit reports the outage as Degraded, which /health
/// answers with a 200. (crud's side: <c>BrokerOutageTests</c>.)
/// </summary>
[Collection(SplitCollection.Name)]
public sealed class BrokerOutageReadinessTests(OwnBrokerFixture fixture) : IClassFixture<OwnBrokerFixture>
{
    [Fact]
    public async Task ThroughABrokerOutageRealtimeStaysReadyItsHealthSayingDegradedThenHealthyOnceItIsBack()
    {
        await using var realtime = await fixture.StartStreamingAsync([]);
        using var http = new HttpClient { BaseAddress = realtime.HttpAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Wait.UntilAsync(async () => await HealthAsync(http) == (HttpStatusCode.OK, "Healthy"), TimeSpan.FromSeconds(30), "realtime to be ready");

        await fixture.Broker.StopAsync();
        await Wait.UntilAsync(async () => (await HealthAsync(http)).Status != "Healthy", TimeSpan.FromSeconds(30), "realtime to notice the broker is gone");
        // What a readiness probe sees: still a 200.
        Assert.Equal((HttpStatusCode.OK, "Degraded"), await HealthAsync(http));

        await fixture.Broker.StartAsync();
        await Wait.UntilAsync(async () => await HealthAsync(http) == (HttpStatusCode.OK, "Healthy"), TimeSpan.FromSeconds(30), "realtime to say Healthy again");
    }

    private static async Task<(HttpStatusCode Code, string Status)> HealthAsync(HttpClient http)
    {
        using var reply = await http.GetAsync(AppModelNames.HealthPath);
        return (reply.StatusCode, await reply.Content.ReadAsStringAsync());
    }
}
