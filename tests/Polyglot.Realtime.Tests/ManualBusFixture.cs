namespace Polyglot.Realtime.Tests;

/// <summary>crud's relay off: the tests publish crud's committed events to the bus themselves, out of order or broken.</summary>
public sealed class ManualBusFixture : SplitFixture
{
    public string QueueName { get; } = $"realtime-gap-test-{Guid.NewGuid():N}";

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraCrudSettings => [new("Outbox:RelayEnabled", "false")];

    /// <summary>A head check every second: a loss at the end of the stream is found within two.</summary>
    public static readonly TimeSpan HeadCheckInterval = TimeSpan.FromSeconds(1);

    protected override IEnumerable<KeyValuePair<string, string?>> RealtimeSettings =>
        [new("Bus:QueueName", QueueName), new("Hub:HeadCheckInterval", HeadCheckInterval.ToString())];
}
