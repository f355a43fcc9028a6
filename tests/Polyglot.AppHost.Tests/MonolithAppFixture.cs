namespace Polyglot.AppHost.Tests;

/// <summary>The monolith: crud alone, no bus, no realtime; crud streams.</summary>
public sealed class MonolithAppFixture : AppHostFixture
{
    public override string StreamingResource => "crud";

    protected override IEnumerable<string> Arguments => ["--Polyglot:Topology=Monolith"];
}
