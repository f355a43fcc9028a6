namespace Polyglot.Deploy;

/// <summary>The parts of the Compose Specification Polyglot uses, as typed YAML.</summary>
public sealed class ComposeFile
{
    public required SortedDictionary<string, ComposeService> Services { get; init; }

    public SortedDictionary<string, object?>? Volumes { get; init; }
}
