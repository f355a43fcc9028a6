namespace Polyglot.Realtime.Tests;

/// <summary>crud and realtime on Dapr, with a sidecar that only records what crud publishes: the tests deliver it themselves.</summary>
public sealed class DaprCaptureFixture : DaprFixture
{
    protected override bool Delivers => false;
}
