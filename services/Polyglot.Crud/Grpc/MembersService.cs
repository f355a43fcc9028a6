using OpenIddict.Abstractions;
using V1 = Polyglot.Contracts.Boards.V1;

namespace Polyglot.Crud.Grpc;

public sealed class MembersService(BoardsDbContext db, BoardAccess access, UserManager<User> users, IOpenIddictApplicationManager clients) : V1.Members.MembersBase
{
    public override async Task<V1.ListMembersResponse> ListMembers(V1.ListMembersRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var boardId = validate.Id("board_id", request.BoardId);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        await access.RequireAsync(boardId, BoardRole.Viewer, "Board", boardId, ct);
        var members = await db.Members.AsNoTracking().Where(m => m.BoardId == boardId)
            .OrderByDescending(m => m.Role).ThenBy(m => m.Name).ToListAsync(ct);
        return new V1.ListMembersResponse { Members = { members.Select(m => m.ToProto()) } };
    }

    public override async Task<V1.Member> SetMember(V1.SetMemberRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var boardId = validate.Id("board_id", request.BoardId);
        var user = validate.RequiredText("user", request.User, Limits.SubjectLength);
        var role = validate.Role(request.Role);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        await access.RequireAsync(boardId, BoardRole.Owner, "Board", boardId, ct);
        var (subject, name) = await FindUserAsync(user, ct) ?? throw Errors.NotFound("User", user);
        return await db.InTransactionAsync(async () =>
        {
            // Under the board's lock, so two owners demoting each other cannot both succeed.
            if (!await db.LockBoardAsync(boardId, ct))
            {
                throw Errors.NotFound("Board", boardId); // deleted since the role was read
            }
            await access.RequireCommittedAsync(boardId, BoardRole.Owner, "Board", boardId, ct);
            var member = await db.Members.FindAsync([boardId, subject], ct);
            if (member is null)
            {
                member = new BoardMember { BoardId = boardId, Subject = subject, Name = name, Role = role };
                db.Members.Add(member);
            }
            else
            {
                await ExpectAnotherOwnerAsync(member, role, ct);
                member.Role = role;
            }
            var reply = member.ToProto();
            db.Events.Raise(new IntegrationEvent { BoardId = reply.BoardId, MemberSet = new MemberSet { Member = reply } });
            await db.SaveChangesAsync(ct);
            return reply;
        }, ct);
    }

    public override async Task<Empty> RemoveMember(V1.RemoveMemberRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var boardId = validate.Id("board_id", request.BoardId);
        var user = validate.RequiredText("user", request.User, Limits.SubjectLength);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        await access.RequireAsync(boardId, BoardRole.Owner, "Board", boardId, ct);
        return await db.InTransactionAsync(async () =>
        {
            if (!await db.LockBoardAsync(boardId, ct))
            {
                throw Errors.NotFound("Board", boardId);
            }
            await access.RequireCommittedAsync(boardId, BoardRole.Owner, "Board", boardId, ct);
            // The user as they are now; else by the name listed, for a member whose account has gone.
            var member = (await FindUserAsync(user, ct) is { } found ? await db.Members.FindAsync([boardId, found.Subject], ct) : null)
                ?? await db.Members.FirstOrDefaultAsync(m => m.BoardId == boardId && m.Name == user, ct)
                ?? throw Errors.NotFound("Member", user);
            await ExpectAnotherOwnerAsync(member, newRole: null, ct);
            db.Members.Remove(member);
            db.Events.Raise(new IntegrationEvent { BoardId = boardId.ToString(), MemberRemoved = new MemberRemoved { Member = member.ToProto() } });
            await db.SaveChangesAsync(ct);
            return new Empty();
        }, ct);
    }

    /// <summary>A person by user name, else a service by client id: the <c>sub</c> of their tokens, and their name.</summary>
    private async Task<(string Subject, string Name)?> FindUserAsync(string user, CancellationToken ct) =>
        await users.FindByNameAsync(user) is { } person ? (person.Id.ToString(), person.UserName!)
        : await clients.FindByClientIdAsync(user, ct) is not null ? (user, user)
        : null;

    /// <summary>A board always keeps an owner: the last one can be neither demoted nor removed.</summary>
    private async Task ExpectAnotherOwnerAsync(BoardMember member, BoardRole? newRole, CancellationToken ct)
    {
        if (member.Role == BoardRole.Owner && newRole != BoardRole.Owner
            && !await db.Members.AnyAsync(m => m.BoardId == member.BoardId && m.Role == BoardRole.Owner && m.Subject != member.Subject, ct))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"{member.Name} is the only owner of board {member.BoardId}: make someone else owner first."));
        }
    }
}
