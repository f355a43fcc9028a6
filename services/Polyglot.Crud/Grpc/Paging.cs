using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Polyglot.Crud.Grpc;

/// <summary>Keyset paging: a page token is the last key of the previous page, opaque to clients (base64url).</summary>
internal static class Paging
{
    /// <summary>
    /// One page of <paramref name="parent"/>'s ordered items after <paramref name="after"/>. The
    /// token names the page's last item and the one after it, and the next page starts after the
    /// last item's index as it is now, not as it was: an item added, deleted or moved in the
    /// meantime shifts the indices but not the page's start, so no other item is skipped or
    /// repeated (AIP-158's stable tokens). If the last item is gone (deleted, or moved to another
    /// parent), the next page starts at the item that followed it; if both are gone, at the last
    /// item's old index. Only an item that itself moved across the boundary is seen twice or not at
    /// all; and if the page's last item moved within the list, the next page starts after its new place.
    /// </summary>
    public static async Task<(IEnumerable<T> Items, string NextPageToken)> ReadOrderedPageAsync<T>(
        this IQueryable<T> siblings, Guid parent, OrderedKey? after, int pageSize, CancellationToken ct) where T : class, IOrdered
    {
        var page = siblings;
        if (after is { } key)
        {
            // Where it starts is read in the page's own statement: read before it, in a statement of
            // its own, a change committed in between would shift the page past it (or back over it).
            var (last, next, fallback) = (key.Last, key.Next, key.Index - 1);
            page = siblings.Where(s => s.Index > (
                siblings.Where(l => l.Id == last).Select(l => (int?)l.Index).FirstOrDefault()
                ?? siblings.Where(n => n.Id == next).Select(n => (int?)n.Index - 1).FirstOrDefault()
                ?? fallback));
        }
        return await page.OrderBy(s => s.Index)
            .ReadPageAsync(pageSize, (last, next) => new OrderedKey(parent, last.Index, last.Id, next.Id), ct);
    }

    /// <summary>
    /// Reads one page of <paramref name="ordered"/>, already filtered to the keys after the
    /// request's token; one row more than the page tells whether another page follows. The token
    /// is the <paramref name="key"/> of the page's last row and the row after it.
    /// </summary>
    public static async Task<(IEnumerable<T> Items, string NextPageToken)> ReadPageAsync<T, TKey>(
        this IQueryable<T> ordered, int pageSize, Func<T, T, TKey> key, CancellationToken ct) where TKey : IFormattable
    {
        var rows = await ordered.Take(pageSize + 1).ToListAsync(ct);
        return (rows.Take(pageSize), rows.Count > pageSize ? Token(key(rows[pageSize - 1], rows[pageSize])) : "");
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

/// <summary>Where a page of a parent's ordered items ended: the parent, the page's last item with its index then, and the item after it.</summary>
internal readonly record struct OrderedKey(Guid Parent, int Index, Guid Last, Guid Next) : IFormattable, IParsable<OrderedKey>
{
    public string ToString(string? format, IFormatProvider? formatProvider) =>
        $"{Index.ToString(CultureInfo.InvariantCulture)}:{Last:D}:{Next:D}:{Parent:D}";

    public static OrderedKey Parse(string s, IFormatProvider? provider) =>
        TryParse(s, provider, out var key) ? key : throw new FormatException($"Not an ordered key: {s}");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out OrderedKey result)
    {
        result = default;
        var parts = s?.Split(':');
        if (parts is not [var index, var last, var next, var parent]
            || !int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            || !Guid.TryParseExact(last, "D", out var lastId)
            || !Guid.TryParseExact(next, "D", out var nextId)
            || !Guid.TryParseExact(parent, "D", out var parentId))
        {
            return false;
        }
        result = new OrderedKey(parentId, i, lastId, nextId);
        return true;
    }
}
