namespace Polyglot.Deploy;

public sealed record Volume(string Name, string Target);
