using System.Buffers;
using Polyglot.Streaming.Grpc;

namespace Polyglot.Realtime.Tests;

/// <summary>gRPC's encode-once path: one shared response per event, encoded once, the same bytes as the generated code writes; and how the hub's messages go out.</summary>
public sealed class SubscribeResponsesTests
{
    [Fact]
    public void EveryStreamIsHandedOneResponsePerEventEncodedOnceAsTheGeneratedCodeWouldEncodeIt()
    {
        var integrationEvent = new IntegrationEvent { Position = 7, EventId = Guid.NewGuid().ToString(), BoardId = Guid.NewGuid().ToString(), BoardDeleted = new BoardDeleted() };
        var hubEvent = HubEvent.From(integrationEvent);
        var expected = new SubscribeResponse { Event = integrationEvent }.ToByteArray();

        var response = SubscribeResponses.For(hubEvent);

        Assert.Same(response, SubscribeResponses.For(hubEvent));
        Assert.Equal(expected, Encode(response));
        integrationEvent.Position = 8; // never done for real: shows the bytes were encoded once, up front
        Assert.Equal(expected, Encode(response));
        Assert.Equal(7, SubscribeResponse.Parser.ParseFrom(Encode(response)).Event.Position);
    }

    [Fact]
    public void AResponseOfOneStreamsOwnIsEncodedAsUsual()
    {
        var subscribed = new SubscribeResponse { Subscribed = new Subscribed { Channel = "all", Position = 3, SubscriberId = "me" } };

        Assert.Equal(subscribed.ToByteArray(), Encode(subscribed));
    }

    [Fact]
    public void APresenceSkipGoesOutAsPresenceSkippedOverGrpcAndAsPresenceSkippedJsonOverText()
    {
        var channel = HubChannel.ForBoard(Guid.NewGuid());
        var skip = new PresenceSkip(channel, count: 3, skipped: 250);

        var sent = SubscribeResponse.Parser.ParseFrom(Encode(SubscribeResponses.For(skip)));
        var text = System.Text.Json.JsonDocument.Parse(skip.JsonMessage).RootElement;

        Assert.Equal(new PresenceSkipped { Channel = channel.Name, Count = 3, Skipped = 250 }, sent.PresenceSkipped);
        Assert.Equal(("presence_skipped", channel.Name, 3, 250), (text.GetProperty("type").GetString(), text.GetProperty("channel").GetString(),
            text.GetProperty("count").GetInt32(), text.GetProperty("skipped").GetInt32()));
    }

    /// <summary>What gRPC does with the marshaller for each message it writes.</summary>
    private static byte[] Encode(SubscribeResponse response)
    {
        var context = new Capture();
        SubscribeResponses.Marshaller.ContextualSerializer(response, context);
        return context.Payload;
    }

    private sealed class Capture : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _writer = new();

        public byte[] Payload { get; private set; } = [];

        public override void Complete(byte[] payload) => Payload = payload;

        public override IBufferWriter<byte> GetBufferWriter() => _writer;

        public override void SetPayloadLength(int payloadLength)
        {
        }

        public override void Complete() => Payload = _writer.WrittenSpan.ToArray();
    }
}
