using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Polyglot.Crud.Grpc;

/// <summary>Keyset paging: a page token is the last key of the previous page, opaque to clients (base64url).</summary>
internal static class Paging
{
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
