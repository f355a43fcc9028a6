namespace Polyglot.Realtime.Tests;

/// <summary>
/// The monolith keeping quiet streams alive every second: WebSocket subscribers pinged, each ping
/// answered within a second or the connection dropped; idle SSE streams sent a comment line.
/// </summary>
public sealed class QuickKeepAliveMonolithFixture : MonolithFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> CrudSettings =>
    [
        .. base.CrudSettings,
        new("WebSockets:KeepAliveInterval", "00:00:01"),
        new("WebSockets:KeepAliveTimeout", "00:00:01"),
        new("Sse:HeartbeatInterval", "00:00:01"),
    ];
}
