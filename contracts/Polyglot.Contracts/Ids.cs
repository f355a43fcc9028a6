namespace Polyglot.Contracts;

/// <summary>The ids on the wire (boards, columns, cards; a board's channel name) are UUIDs.</summary>
public static class Ids
{
    /// <summary>
    /// A UUID in its 36-character form, 0190a5c4-2b7e-7c3e-9d1a-4f0e8b6a2c11, and nothing around it:
    /// <see cref="Guid.TryParseExact(ReadOnlySpan{char}, ReadOnlySpan{char}, out Guid)"/> alone lets
    /// white space through, and one id would then have several spellings.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Guid id)
    {
        id = default;
        return text.Length == 36 && Guid.TryParseExact(text, "D", out id);
    }
}
