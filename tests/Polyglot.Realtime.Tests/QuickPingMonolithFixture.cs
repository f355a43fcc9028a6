namespace Polyglot.Realtime.Tests;

/// <summary>The monolith pinging WebSocket subscribers every second, each ping answered within a second or the connection dropped.</summary>
public sealed class QuickPingMonolithFixture : MonolithFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> CrudSettings =>
        [.. base.CrudSettings, new("WebSockets:KeepAliveInterval", "00:00:01"), new("WebSockets:KeepAliveTimeout", "00:00:01")];
}
