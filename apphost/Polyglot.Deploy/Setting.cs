namespace Polyglot.Deploy;

/// <summary>A resolved setting; <see cref="Secret"/> when any secret parameter went into it.</summary>
public readonly record struct Setting(string Value, bool Secret);
