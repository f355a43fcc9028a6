namespace Polyglot.Streaming.Hub;

/// <summary>Which transport a subscription streams over: a tag on the hub's metrics.</summary>
public enum Transport : byte
{
    Grpc,
    WebSocket,
    Sse,
}
