namespace Polyglot.Realtime.Tests;

/// <summary>crud's relay off: the tests publish crud's committed events to the bus themselves, out of order or broken.</summary>
public sealed class ManualBusFixture : SplitFixture
{
    public string QueueName { get; } = $"realtime-gap-test-{Guid.NewGuid():N}";

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraCrudSettings => [new("Outbox:RelayEnabled", "false")];

    protected override IEnumerable<KeyValuePair<string, string?>> RealtimeSettings => [new("Bus:QueueName", QueueName)];
}
