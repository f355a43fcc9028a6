using System.Data.Common;
using Microsoft.EntityFrameworkCore.Storage;
using Polyglot.Streaming.Auth;

namespace Polyglot.Crud.Auth;

/// <summary>
/// Board roles as committed. Past the read cache: a subscriber joining a board's channel is
/// checked against the membership a removal has already changed, never one a second old (realtime
/// asks through the event log service, the monolith's hub here).
/// </summary>
public sealed class BoardMembers(IServiceScopeFactory scopes) : IBoardMembers
{
    /// <summary>The subject's role on the board; null for a non-member (or no such board).</summary>
    public static Task<BoardRole?> RoleAsync(BoardsDbContext db, Guid boardId, string subject, CancellationToken ct) =>
        db.Members.AsNoTracking().Where(m => m.BoardId == boardId && m.Subject == subject).Select(m => (BoardRole?)m.Role).SingleOrDefaultAsync(ct);

    public async Task<bool> IsMemberAsync(Guid boardId, string subject, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            return await RoleAsync(scope.ServiceProvider.GetRequiredService<BoardsDbContext>(), boardId, subject, ct) is not null;
        }
        catch (Exception ex) when (ex is DbException or RetryLimitExceededException && !ct.IsCancellationRequested)
        {
            throw new SubscriptionEndedException(EndReason.Unavailable, "Board membership cannot be checked right now: subscribe again later.");
        }
    }
}
