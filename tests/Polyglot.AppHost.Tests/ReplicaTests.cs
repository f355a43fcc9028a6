using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Realtime.V1;

namespace Polyglot.AppHost.Tests;

/// <summary>The app host's realtime replicas (Polyglot:Realtime:Replicas=2), each asked directly rather than through the proxy.</summary>
[Collection(AppCollection.Name)]
public sealed class ReplicaTests(AppFixture fixture)
{
    [Fact]
    public async Task EachOfTheAppHostsTwoRealtimeReplicasDeliversEveryEvent()
    {
        using var timeout = TestTimeout.After(TimeSpan.FromSeconds(30));
        var replicas = await ReplicaGrpcAddressesAsync(timeout.Token);
        Assert.Equal(2, replicas.Distinct().Count());
        var crud = await fixture.CrudChannelAsync();
        var board = await new Boards.BoardsClient(crud).CreateBoardAsync(new CreateBoardRequest { Name = "Replicas" }, cancellationToken: timeout.Token);
        var streams = new List<Grpc.Core.AsyncServerStreamingCall<SubscribeResponse>>();
        var channels = await Task.WhenAll(replicas.Select(address => fixture.StreamingChannelAsync(address)));
        foreach (var channel in channels)
        {
            var stream = new Contracts.Realtime.V1.Realtime.RealtimeClient(channel)
                .Subscribe(new SubscribeRequest { Channel = $"board:{board.Id}", AfterPosition = 0 }, cancellationToken: timeout.Token);
            Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
            Assert.Equal(SubscribeResponse.MessageOneofCase.Subscribed, stream.ResponseStream.Current.MessageCase);
            streams.Add(stream);
        }

        var column = await new Columns.ColumnsClient(crud).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" }, cancellationToken: timeout.Token);
        var cards = new List<Card>();
        for (var i = 0; i < 5; i++)
        {
            cards.Add(await new Cards.CardsClient(crud).CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = $"Card {i}" }, cancellationToken: timeout.Token));
        }

        // Each replica, on its own, streams the whole board in order: created, the column, every card.
        foreach (var stream in streams)
        {
            var received = new List<IntegrationEvent>();
            while (received.Count < 7 && await stream.ResponseStream.MoveNext(timeout.Token))
            {
                received.Add(stream.ResponseStream.Current.Event);
            }
            Assert.Equal(board.Id, received[0].BoardCreated.Board.Id);
            Assert.Equal(column, received[1].ColumnCreated.Column);
            Assert.Equal(cards, received.Skip(2).Select(e => e.CardCreated.Card));
            Assert.Equal(received.Select(e => e.Position).Order(), received.Select(e => e.Position));
            stream.Dispose();
        }
        Array.ForEach(channels, channel => channel.Dispose());
    }

    /// <summary>Each replica's own gRPC address, from the settings the app host gave that replica's process.</summary>
    private async Task<List<Uri>> ReplicaGrpcAddressesAsync(CancellationToken ct)
    {
        var addresses = new Dictionary<string, Uri>();
        // The watch replays every resource's current state first, each replica under an id of its own.
        await foreach (var update in fixture.App.ResourceNotifications.WatchAsync(ct))
        {
            if (update.Resource.Name != "realtime")
            {
                continue;
            }
            var settings = update.Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value);
            Assert.True(settings.TryGetValue("Kestrel__Endpoints__grpc__Url", out var url) && url is not null, $"{update.ResourceId} has no gRPC endpoint of its own");
            addresses[update.ResourceId] = new Uri(url);
            if (addresses.Count == 2)
            {
                break;
            }
        }
        return [.. addresses.Values];
    }
}
