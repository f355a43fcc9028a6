using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Polyglot.Crud.Grpc;

/// <summary>Keyset paging: a page token is the last key of the previous page, opaque to clients (base64url).</summary>
internal static class Paging
{
    /// <summary>
    /// One page of a parent's ordered items after <paramref name="after"/>. The token names the
    /// last item returned, and the next page starts after that item's index as it is now, not as it
    /// was: an item added, deleted or moved elsewhere in the meantime shifts the indices but not the
    /// page's start, so no other item is skipped or repeated (AIP-158's stable tokens). Only an item
    /// that itself moved across the boundary is seen twice or not at all; and if the named item is gone,
    /// its last index stands in.
    /// </summary>
    public static async Task<(IEnumerable<T> Items, string NextPageToken)> ReadOrderedPageAsync<T>(
        this IQueryable<T> siblings, OrderedKey? after, int pageSize, CancellationToken ct) where T : class, IOrdered
    {
        var from = -1;
        if (after is { } last)
        {
            from = await siblings.Where(s => s.Id == last.Id).Select(s => (int?)s.Index).SingleOrDefaultAsync(ct) ?? last.Index;
        }
        return await siblings.Where(s => s.Index > from).OrderBy(s => s.Index).ReadPageAsync(pageSize, s => new OrderedKey(s.Index, s.Id), ct);
    }

    /// <summary>
    /// Reads one page of <paramref name="ordered"/>, already filtered to the keys after the
    /// request's token; one row more than the page tells whether another page follows.
    /// </summary>
    public static async Task<(IEnumerable<T> Items, string NextPageToken)> ReadPageAsync<T, TKey>(
        this IQueryable<T> ordered, int pageSize, Func<T, TKey> key, CancellationToken ct) where TKey : IFormattable
    {
        var rows = await ordered.Take(pageSize + 1).ToListAsync(ct);
        return (rows.Take(pageSize), rows.Count > pageSize ? Token(key(rows[pageSize - 1])) : "");
    }

    public static string Token<TKey>(TKey lastKey) where TKey : IFormattable =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastKey.ToString(null, CultureInfo.InvariantCulture)));

    public static bool TryParseToken<TKey>(string token, out TKey key) where TKey : IParsable<TKey>
    {
        key = default!;
        try
        {
            return TKey.TryParse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token)), CultureInfo.InvariantCulture, out key!);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>The last item of a page of ordered items: its id, and its index then.</summary>
internal readonly record struct OrderedKey(int Index, Guid Id) : IFormattable, IParsable<OrderedKey>
{
    public string ToString(string? format, IFormatProvider? formatProvider) =>
        $"{Index.ToString(CultureInfo.InvariantCulture)}:{Id:D}";

    public static OrderedKey Parse(string s, IFormatProvider? provider) =>
        TryParse(s, provider, out var key) ? key : throw new FormatException($"Not an ordered key: {s}");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out OrderedKey result)
    {
        result = default;
        var parts = s?.Split(':');
        if (parts is not [var index, var id]
            || !int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            || !Guid.TryParseExact(id, "D", out var guid))
        {
            return false;
        }
        result = new OrderedKey(i, guid);
        return true;
    }
}
