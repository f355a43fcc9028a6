namespace Polyglot.Deploy.Tests;

/// <summary>The deploy folder of the monolith topology: crud alone (with its database), streaming itself.</summary>
public sealed class MonolithDeployFixture : DeployFixture
{
    protected override Topology Topology => Topology.Monolith;
}
