using System.Text.Json;
using Google.Protobuf;

namespace Polyglot.Streaming.Hub;

/// <summary>
/// The JSON messages of the text transports (WebSocket frames, SSE data lines), one object per
/// message with a "type":
/// <code>
/// {"type":"subscribed","channel":"board:…","position":41}
/// {"type":"event","position":42,"event":{…polyglot.events.v1.IntegrationEvent in proto3 JSON…}}
/// {"type":"presence","channel":"board:…","subscriberId":"…","joined":true,"count":3}
/// {"type":"presence_skipped","channel":"board:…","count":250,"skipped":240}
/// {"type":"error","code":"slow_consumer"|"history_lost"|"draining"|"unavailable","message":"…"}   (codes: Endings)
/// </code>
/// </summary>
public static class JsonMessages
{
    public static byte[] Subscribed(Subscription subscription) => Write(json =>
    {
        json.WriteString("type", "subscribed");
        json.WriteString("channel", subscription.Channel.Name);
        json.WriteNumber("position", subscription.StartPosition);
        json.WriteString("subscriberId", subscription.SubscriberId);
    });

    public static byte[] Event(HubEvent hubEvent) => Write(json =>
    {
        json.WriteString("type", "event");
        json.WriteNumber("position", hubEvent.Position);
        json.WritePropertyName("event");
        json.WriteRawValue(JsonFormatter.Default.Format(hubEvent.Event), skipInputValidation: true);
    });

    public static byte[] Presence(PresenceChange change) => Write(json =>
    {
        json.WriteString("type", "presence");
        json.WriteString("channel", change.Channel.Name);
        json.WriteString("subscriberId", change.SubscriberId);
        json.WriteBoolean("joined", change.Joined);
        json.WriteNumber("count", change.Count);
    });

    public static byte[] PresenceSkip(PresenceSkip skipped) => Write(json =>
    {
        json.WriteString("type", "presence_skipped");
        json.WriteString("channel", skipped.Channel.Name);
        json.WriteNumber("count", skipped.Count);
        json.WriteNumber("skipped", skipped.Skipped);
    });

    public static byte[] Error(string code, string message) => Write(json =>
    {
        json.WriteString("type", "error");
        json.WriteString("code", code);
        json.WriteString("message", message);
    });

    private static byte[] Write(Action<Utf8JsonWriter> properties)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            properties(json);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
