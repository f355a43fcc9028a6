using Dapr;
using Dapr.Client;
using Polyglot.Contracts.Events;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// Contract tests of crud's Dapr publisher: its Dapr client talks to a sidecar written from
/// Dapr's gRPC contract (<see cref="DaprSidecar"/>), which delivers to realtime's CloudEvents route.
/// No daprd runs here: what a real sidecar and broker add is not tested.
/// </summary>
public sealed class DaprSidecarContractTests(DaprFixture fixture) : IClassFixture<DaprFixture>
{
    [Fact]
    public async Task ContractCrudPublishesEveryCommittedEventToTopicPolyglotEventsOfPubsubInPositionOrder()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        await fixture.BoardRenamedAsync(renames: 5, timeout.Token);
        var head = await fixture.HeadAsync(timeout.Token);

        await Wait.UntilAsync(() => Task.FromResult(DaprEvents.Of(fixture.Sidecar.Published).LastOrDefault()?.Position >= head), TimeSpan.FromSeconds(20), "crud to publish up to its head");

        Assert.All(fixture.Sidecar.Published, request =>
        {
            Assert.Equal(IntegrationEventBatch.PubSubName, request.PubsubName);
            Assert.Equal(IntegrationEventBatch.ExchangeName, request.Topic);
            Assert.Equal("application/json", request.DataContentType);
        });
        Assert.Equal(Enumerable.Range(1, (int)head).Select(p => (long)p), DaprEvents.Of(fixture.Sidecar.Published).Select(e => e.Position));
    }

    [Fact]
    public async Task ContractTheSidecarTakesAPublishOnlyWithItsApiTokenAndCrudSendsIt()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var refusedBefore = fixture.Sidecar.Unauthenticated;
        using var stranger = new DaprClientBuilder().UseGrpcEndpoint(fixture.Sidecar.Address.ToString()).Build();

        // The fault bit: a publish without the token is refused, and recorded nowhere.
        var refused = await Assert.ThrowsAsync<DaprException>(() => stranger.PublishEventAsync(IntegrationEventBatch.PubSubName, IntegrationEventBatch.ExchangeName, new { Forged = true }, timeout.Token));
        Assert.Equal(StatusCode.Unauthenticated, Assert.IsType<RpcException>(refused.InnerException).StatusCode);
        Assert.Equal(refusedBefore + 1, fixture.Sidecar.Unauthenticated);
        Assert.DoesNotContain(fixture.Sidecar.Published, request => request.Data.ToStringUtf8().Contains("Forged", StringComparison.Ordinal));

        // crud's client, given DAPR_API_TOKEN, is let through.
        await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "With the sidecar's token" }, cancellationToken: timeout.Token);
        var position = await fixture.HeadAsync(timeout.Token);
        await Wait.UntilAsync(async () => await fixture.PublishedCursorAsync() >= position, TimeSpan.FromSeconds(10), "crud to publish with its token");
        Assert.Contains(DaprEvents.Of(fixture.Sidecar.Published), e => e.Position == position);
        Assert.Equal(refusedBefore + 1, fixture.Sidecar.Unauthenticated);
    }

    [Fact]
    public async Task ContractWhileTheSidecarIsUnavailableTheRelayRetriesItsCursorWaitsAndNothingIsLost()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        fixture.Sidecar.Unavailable = true;
        var refusedBefore = fixture.Sidecar.Refused;
        try
        {
            var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "While the sidecar is down" }, cancellationToken: timeout.Token);
            var position = await fixture.HeadAsync(timeout.Token);

            // The fault bit: publishes were refused, again and again, and the cursor stayed behind.
            await Wait.UntilAsync(() => Task.FromResult(fixture.Sidecar.Refused >= refusedBefore + 2), TimeSpan.FromSeconds(10), "the relay to retry");
            Assert.True(await fixture.PublishedCursorAsync() < position);
            Assert.DoesNotContain(DaprEvents.Of(fixture.Sidecar.Published), e => e.Position == position);

            fixture.Sidecar.Unavailable = false;
            await Wait.UntilAsync(async () => await fixture.PublishedCursorAsync() >= position, TimeSpan.FromSeconds(10), "the relay to publish once the sidecar is back");
            Assert.Single(DaprEvents.Of(fixture.Sidecar.Published), e => e.Position == position && e.BoardId == Guid.Parse(board.Id));
        }
        finally
        {
            fixture.Sidecar.Unavailable = false;
        }
    }

    [Fact]
    public async Task AChangeOnCrudReachesAGrpcSubscriberThroughTheSidecarAndRealtimesCloudEventsRoute()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Through Dapr" }, cancellationToken: timeout.Token);
        using var stream = fixture.RealtimeClient.Subscribe(new SubscribeRequest { Channel = $"board:{board.Id}" }, cancellationToken: timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(SubscribeResponse.MessageOneofCase.Subscribed, stream.ResponseStream.Current.MessageCase);
        var answered = fixture.Sidecar.Answers.Count;

        for (var version = 1; version <= 4; version++)
        {
            await fixture.Boards.UpdateBoardAsync(new UpdateBoardRequest { Id = board.Id, Version = version, Name = $"Live {version}" }, cancellationToken: timeout.Token);
        }

        // Live, so only the route can have carried them: each once, in order (the board's creation
        // may still have been on its way when the stream began).
        var names = new List<string>();
        while (names.Count < 4 && await stream.ResponseStream.MoveNext(timeout.Token))
        {
            var received = stream.ResponseStream.Current.Event;
            if (received.PayloadCase != IntegrationEvent.PayloadOneofCase.BoardCreated || names.Count > 0)
            {
                names.Add(received.BoardUpdated?.Board.Name ?? received.PayloadCase.ToString());
            }
        }
        Assert.Equal(["Live 1", "Live 2", "Live 3", "Live 4"], names);
        // Delivered (in one batch or several, as the relay found them), each answered SUCCESS.
        Assert.NotEmpty(fixture.Sidecar.Answers.Skip(answered));
        Assert.All(fixture.Sidecar.Answers.Skip(answered), answer => Assert.Equal("SUCCESS", answer));
    }
}
