namespace Polyglot.Realtime.Tests;

/// <summary>The classes with a <see cref="MonolithFixture"/> take turns with each other (they need no broker, so they run beside the split's).</summary>
[CollectionDefinition(Name)]
public sealed class MonolithCollection
{
    public const string Name = "monolith";
}
