using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polyglot.Contracts.Events.V1;
using Polyglot.Realtime.Hub;

namespace Polyglot.Realtime.Tests;

/// <summary>The transport-free hub on its own: routing, ordering, de-duplication, slow consumers.</summary>
public sealed class ChannelHubTests
{
    private static readonly Guid BoardA = Guid.CreateVersion7();
    private static readonly Guid BoardB = Guid.CreateVersion7();

    [Fact]
    public void BoardSubscribersGetTheirBoardOnlyAndTheFirehoseGetsEverything()
    {
        var hub = NewHub();
        using var a = hub.Subscribe(HubChannel.ForBoard(BoardA));
        using var all = hub.Subscribe(HubChannel.All);

        hub.Publish(Event(1, BoardA));
        hub.Publish(Event(2, BoardB));
        hub.Publish(Event(3, BoardA));

        Assert.Equal([1L, 3L], Drain(a));
        Assert.Equal([1L, 2L, 3L], Drain(all));
    }

    [Fact]
    public void ARedeliveredPositionIsDeliveredOnce()
    {
        var hub = NewHub();
        using var all = hub.Subscribe(HubChannel.All);

        hub.Publish(Event(1, BoardA));
        hub.Publish(Event(2, BoardA));
        hub.Publish(Event(1, BoardA));
        hub.Publish(Event(2, BoardA));
        hub.Publish(Event(3, BoardA));

        Assert.Equal([1L, 2L, 3L], Drain(all));
    }

    [Fact]
    public void ALiveSubscriptionStartsAtTheHead()
    {
        var hub = NewHub();
        hub.Publish(Event(1, BoardA));
        hub.Publish(Event(2, BoardA));

        using var late = hub.Subscribe(HubChannel.All);
        hub.Publish(Event(3, BoardA));

        Assert.Equal(2, late.StartPosition);
        Assert.Equal([3L], Drain(late));
    }

    [Fact]
    public void ResumingAheadOfTheHeadSkipsWhatTheSubscriberHas()
    {
        var hub = NewHub();
        hub.Publish(Event(1, BoardA));

        using var resumed = hub.Subscribe(HubChannel.All, afterPosition: 3);
        for (var position = 2; position <= 5; position++)
        {
            hub.Publish(Event(position, BoardA));
        }

        Assert.Equal([4L, 5L], Drain(resumed));
    }

    [Fact]
    public void ResumingBehindTheHeadIsRefusedRatherThanLeftWithAGap()
    {
        var hub = NewHub();
        hub.Publish(Event(1, BoardA));
        hub.Publish(Event(2, BoardA));

        var error = Assert.Throws<HistoryUnavailableException>(() => hub.Subscribe(HubChannel.All, afterPosition: 1));

        Assert.Equal((1L, 2L), (error.Requested, error.Head));
    }

    [Fact]
    public async Task ASlowSubscriberIsCutOffAndTheOthersKeepEverything()
    {
        var hub = NewHub(queueCapacity: 2);
        using var slow = hub.Subscribe(HubChannel.All);
        using var fast = hub.Subscribe(HubChannel.All);
        var received = new List<long>();

        for (var position = 1; position <= 5; position++)
        {
            hub.Publish(Event(position, BoardA));
            received.AddRange(Drain(fast));
        }

        Assert.Equal([1L, 2L, 3L, 4L, 5L], received);
        Assert.Equal([1L, 2L], Drain(slow));
        await Assert.ThrowsAsync<SlowConsumerException>(() => slow.Events.Completion);
    }

    [Fact]
    public void ADisposedSubscriptionReceivesNothingMore()
    {
        var hub = NewHub();
        var gone = hub.Subscribe(HubChannel.All);
        using var stays = hub.Subscribe(HubChannel.All);

        gone.Dispose();
        hub.Publish(Event(1, BoardA));

        Assert.Empty(Drain(gone));
        Assert.Equal([1L], Drain(stays));
    }

    [Theory]
    [InlineData("all", true)]
    [InlineData("board:0190a5c4-2b7e-7c3e-9d1a-4f0e8b6a2c11", true)]
    [InlineData("board:0190A5C4-2B7E-7C3E-9D1A-4F0E8B6A2C11", true)]
    [InlineData("board:", false)]
    [InlineData("board:not-a-uuid", false)]
    [InlineData("board:{0190a5c4-2b7e-7c3e-9d1a-4f0e8b6a2c11}", false)]
    [InlineData("ALL", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyWellFormedChannelNamesParse(string? name, bool valid)
    {
        Assert.Equal(valid, HubChannel.TryParse(name, out var channel));
        if (valid)
        {
            Assert.Equal(name!.ToLowerInvariant(), channel!.Value.Name);
        }
    }

    private static ChannelHub NewHub(int queueCapacity = 100) =>
        new(Options.Create(new HubOptions { SubscriberQueueCapacity = queueCapacity }), NullLogger<ChannelHub>.Instance);

    private static HubEvent Event(long position, Guid boardId) =>
        new(position, HubChannel.ForBoard(boardId), new IntegrationEvent { Position = position, BoardId = boardId.ToString() });

    private static List<long> Drain(Subscription subscription)
    {
        var positions = new List<long>();
        while (subscription.Events.TryRead(out var hubEvent))
        {
            positions.Add(hubEvent.Position);
        }
        return positions;
    }
}
