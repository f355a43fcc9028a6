namespace Polyglot.Deploy.Tests;

/// <summary>The deploy folder of the split on Dapr (<c>--dapr</c>): daprd sidecars, RabbitMQ behind Dapr's pub/sub.</summary>
public sealed class DaprDeployFixture : DeployFixture
{
    protected override BusKind BusKind => BusKind.Dapr;
}
