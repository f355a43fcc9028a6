namespace Polyglot.Realtime.Tests;

/// <summary>Two realtime replicas on one bus: each has its own queue, so a subscriber on either sees every event.</summary>
[Collection(SplitCollection.Name)]
public sealed class ReplicaTests(SplitFixture fixture) : IClassFixture<SplitFixture>
{
    [Fact]
    public async Task EveryReplicaDeliversEveryEvent()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        await using var second = await fixture.StartRealtimeReplicaAsync();
        using var onFirst = await fixture.RealtimeClient.SubscribeAsync("all", null, timeout.Token);
        using var onSecond = await new Contracts.Realtime.V1.Realtime.RealtimeClient(LocalAuth.Shared.StreamingChannel(second.GrpcAddress, fixture.Crud.HttpAddress)).SubscribeAsync("all", null, timeout.Token);

        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Replicated" });
        for (var version = 1; version <= 3; version++)
        {
            await fixture.RenameAsync(board, $"Replicated {version}", version);
        }

        var first = await Streams.ReadEventsAsync(onFirst.ResponseStream, 4, timeout.Token);
        var other = await Streams.ReadEventsAsync(onSecond.ResponseStream, 4, timeout.Token);
        Assert.Equal(IntegrationEvent.PayloadOneofCase.BoardCreated, first[0].PayloadCase);
        Assert.Equal(first.Select(e => e.EventId), other.Select(e => e.EventId));
    }
}
