using System.Security.Claims;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Polyglot.Crud.Grpc;

/// <summary>
/// Who is calling (the access token's subject) and what they may do on a board. Roles are read
/// through the read cache: every membership change is an event of its board, so it invalidates
/// the role as it invalidates the board's rows.
/// </summary>
public sealed class BoardAccess(BoardsDbContext db, ReadCache cache, IHttpContextAccessor http)
{
    private ClaimsPrincipal User => http.HttpContext?.User ?? throw new InvalidOperationException("Not in a request.");

    /// <summary>The token's <c>sub</c>: a person's user id, or a service's client id.</summary>
    public string Subject => User.FindFirstValue(Claims.Subject)
        ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "The access token names no subject."));

    /// <summary>The user name in a person's token; a service is known by its client id.</summary>
    public string Name => User.FindFirstValue(Claims.Name) ?? Subject;

    /// <summary>The caller's role on the board; null for a non-member (or no such board).</summary>
    public async Task<BoardRole?> RoleAsync(Guid boardId, CancellationToken ct)
    {
        var subject = Subject;
        var found = await cache.GetAsync<Membership>(new MemberKey(boardId, subject), async token =>
            await BoardMembers.RoleAsync(db, boardId, subject, token) is { } role
                ? (new Membership(role), boardId)
                : null, ct);
        return found?.Row.Role;
    }

    /// <summary>
    /// Goes on when the caller has at least <paramref name="needed"/> on the board. A non-member
    /// gets NOT_FOUND for <paramref name="what"/> <paramref name="id"/> — what a missing row gets,
    /// so nobody learns what exists on boards they are not on; a member with a lower role gets
    /// PERMISSION_DENIED.
    /// </summary>
    public async Task RequireAsync(Guid boardId, BoardRole needed, string what, Guid id, CancellationToken ct) =>
        Require(await RoleAsync(boardId, ct), boardId, needed, what, id);

    /// <summary>
    /// <see cref="RequireAsync"/> as committed, not cached: for a change of members, checked again
    /// under the board's lock, so that it never acts on a role removed since the first check (an
    /// owner just removed could otherwise add themselves back).
    /// </summary>
    public async Task RequireCommittedAsync(Guid boardId, BoardRole needed, string what, Guid id, CancellationToken ct) =>
        Require(await BoardMembers.RoleAsync(db, boardId, Subject, ct), boardId, needed, what, id);

    private static void Require(BoardRole? found, Guid boardId, BoardRole needed, string what, Guid id)
    {
        var role = found ?? throw Errors.NotFound(what, id);
        if (role < needed)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"This needs the {needed.ToString().ToLowerInvariant()} role on board {boardId}; you are {role.ToString().ToLowerInvariant()}."));
        }
    }

    private sealed record Membership(BoardRole Role);

    private readonly record struct MemberKey(Guid BoardId, string Subject);
}
