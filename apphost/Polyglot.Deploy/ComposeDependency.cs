namespace Polyglot.Deploy;

public sealed class ComposeDependency
{
    public string Condition { get; init; } = "service_healthy";
}
