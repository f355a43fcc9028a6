namespace Polyglot.AppHost.Tests;

/// <summary>The split, with two realtime replicas behind the app host's proxy.</summary>
public sealed class AppFixture : AppHostFixture
{
    public override string StreamingResource => "realtime";

    protected override IEnumerable<string> Arguments => [$"--Polyglot:Bus:Port={Ports.Free()}", "--Polyglot:Realtime:Replicas=2"];
}
