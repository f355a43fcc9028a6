using Google.Rpc;
using Polyglot.Contracts;

namespace Polyglot.Crud.Grpc;

/// <summary>
/// Collects every problem with a request, then fails once with INVALID_ARGUMENT and a
/// google.rpc.BadRequest listing one violation per field, so a client can show them all.
/// </summary>
internal sealed class RequestValidator
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    private readonly BadRequest _badRequest = new();

    public Guid Id(string field, string value)
    {
        if (Ids.TryParse(value, out var id))
        {
            return id;
        }
        _badRequest.Add(field, value.Length == 0 ? "is required" : "must be a UUID such as 0190a5c4-2b7e-7c3e-9d1a-4f0e8b6a2c11");
        return Guid.Empty;
    }

    /// <summary>A label (a name, a title, a user): trimmed, as a form field would be, then required and measured.</summary>
    public string RequiredText(string field, string value, int maxLength = Limits.NameLength)
    {
        var label = value.Trim();
        if (label.Length == 0)
        {
            _badRequest.Add(field, "is required");
            return label;
        }
        Check(field, value, label.Length, maxLength);
        return label;
    }

    /// <summary>Free text (a description), kept as sent: its whitespace can be meaning, as in Markdown's indented code.</summary>
    public string Text(string field, string value, int maxLength = Limits.DescriptionLength)
    {
        Check(field, value, value.Length, maxLength);
        return value;
    }

    /// <summary>Control characters are looked for in the text as sent: trimming would drop some (U+0085 is whitespace too).</summary>
    private void Check(string field, string sent, int length, int maxLength)
    {
        if (length > maxLength)
        {
            _badRequest.Add(field, $"must be at most {maxLength} characters");
        }
        else if (sent.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
        {
            _badRequest.Add(field, "must not contain control characters");
        }
    }

    public BoardRole Role(Contracts.Boards.V1.Role value, string field = "role")
    {
        if (System.Enum.IsDefined(value) && value != Contracts.Boards.V1.Role.Unspecified)
        {
            return (BoardRole)value;
        }
        _badRequest.Add(field, value == Contracts.Boards.V1.Role.Unspecified ? "is required: ROLE_VIEWER, ROLE_EDITOR or ROLE_OWNER" : "must be ROLE_VIEWER, ROLE_EDITOR or ROLE_OWNER");
        return default;
    }

    public long Version(long value, string field = "version")
    {
        if (value < 1)
        {
            _badRequest.Add(field, "is required: the version you read (1 or more)");
        }
        return value;
    }

    public int Index(int value, string field = "index")
    {
        if (value < 0)
        {
            _badRequest.Add(field, "must be 0 or more");
        }
        return value;
    }

    public int PageSize(int value, int defaultSize = DefaultPageSize, int maxSize = MaxPageSize)
    {
        if (value < 0)
        {
            _badRequest.Add("page_size", "must be 0 or more");
        }
        return value == 0 ? defaultSize : Math.Min(value, maxSize);
    }

    public long Position(long value, string field)
    {
        if (value < 0)
        {
            _badRequest.Add(field, "must be 0 or more");
        }
        return value;
    }

    public Guid? OptionalId(string field, string value) => value.Length == 0 ? null : Id(field, value);

    /// <summary>The key after which the page starts, or null for the first page.</summary>
    public TKey? PageTokenKey<TKey>(string token) where TKey : struct, IParsable<TKey>
    {
        if (token.Length == 0)
        {
            return null;
        }
        if (Paging.TryParseToken<TKey>(token, out var key))
        {
            return key;
        }
        _badRequest.Add("page_token", "is not a token this service issued");
        return null;
    }

    /// <summary>The token of a page of <paramref name="parent"/>'s ordered items; one issued for another parent's is refused, as AIP-158 asks.</summary>
    public OrderedKey? OrderedPageToken(string token, Guid parent)
    {
        var key = PageTokenKey<OrderedKey>(token);
        if (key is { } issued && parent != Guid.Empty && issued.Parent != parent)
        {
            _badRequest.Add("page_token", "was issued for another list: pass it only with the request that returned it");
            return null;
        }
        return key;
    }

    public void ThrowIfInvalid()
    {
        if (_badRequest.FieldViolations.Count == 0)
        {
            return;
        }
        throw _badRequest.ToStatus(StatusCode.InvalidArgument).ToRpcException();
    }
}
