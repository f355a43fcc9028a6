using V1 = Polyglot.Contracts.Boards.V1;

namespace Polyglot.Crud.Grpc;

public sealed class BoardsService(BoardsDbContext db, ReadCache cache, BoardAccess access) : V1.Boards.BoardsBase
{
    public override async Task<V1.Board> CreateBoard(V1.CreateBoardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var name = validate.RequiredText("name", request.Name);
        var description = validate.Text("description", request.Description);
        validate.ThrowIfInvalid();

        var now = db.Now();
        var board = new Board { Id = Guid.CreateVersion7(now), Name = name, Description = description, CreatedAt = now, UpdatedAt = now };
        db.Boards.Add(board);
        // Whoever creates a board owns it.
        var owner = new BoardMember { BoardId = board.Id, Subject = access.Subject, Name = access.Name, Role = BoardRole.Owner };
        db.Members.Add(owner);
        var reply = board.ToProto();
        db.Events.Raise(new IntegrationEvent { BoardId = reply.Id, BoardCreated = new BoardCreated { Board = reply, Owner = owner.ToProto() } });
        await db.SaveChangesAsync(context.CancellationToken);
        return reply;
    }

    public override async Task<V1.Board> GetBoard(V1.GetBoardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        validate.ThrowIfInvalid();

        return await cache.GetAsync(access, id, ct => db.Boards.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct), Mapping.ToProto, context.CancellationToken);
    }

    public override async Task<V1.ListBoardsResponse> ListBoards(V1.ListBoardsRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var pageSize = validate.PageSize(request.PageSize);
        var after = validate.PageTokenKey<Guid>(request.PageToken);
        validate.ThrowIfInvalid();

        // The caller's boards only. Version 7 UUIDs sort by creation time, so id order is creation
        // order and a page boundary never shifts when boards are added or deleted meanwhile.
        var subject = access.Subject;
        var query = db.Boards.AsNoTracking().Where(b => db.Members.Any(m => m.BoardId == b.Id && m.Subject == subject));
        if (after is { } last)
        {
            query = query.Where(b => b.Id.CompareTo(last) > 0);
        }
        var (boards, next) = await query.OrderBy(b => b.Id).ReadPageAsync(pageSize, (last, _) => last.Id, context.CancellationToken);
        return new V1.ListBoardsResponse { Boards = { boards.Select(b => b.ToProto()) }, NextPageToken = next };
    }

    public override async Task<V1.Board> UpdateBoard(V1.UpdateBoardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        var version = validate.Version(request.Version);
        var name = validate.RequiredText("name", request.Name);
        var description = request.HasDescription ? validate.Text("description", request.Description) : null;
        validate.ThrowIfInvalid();

        return await db.UpdateAsync(access, id, version, (Board board) =>
        {
            board.Name = name;
            board.Description = description ?? board.Description;
        }, Mapping.ToProto, reply => new IntegrationEvent { BoardId = reply.Id, BoardUpdated = new BoardUpdated { Board = reply } }, context.CancellationToken);
    }

    public override async Task<Empty> DeleteBoard(V1.DeleteBoardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        var version = validate.Version(request.Version);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        await access.RequireAsync(id, BoardRole.Owner, "Board", id, ct); // before the lock: a non-owner takes none
        return await db.InTransactionAsync(async () =>
        {
            // Read under the board's lock: of two deletes at one version, the second then finds
            // the board gone (NOT_FOUND), not changed (ABORTED, which would ask for a retry).
            var board = await db.LockBoardAsync(id, ct) ? await db.Boards.FindAsync([id], ct) : null;
            if (board is null)
            {
                throw Errors.NotFound("Board", id);
            }
            // And the role as committed: an owner demoted meanwhile deletes nothing.
            await access.RequireCommittedAsync(id, BoardRole.Owner, "Board", id, ct);
            Errors.ExpectVersion(board, version);
            db.Boards.Remove(board); // the database cascades to its columns, cards and members
            db.Events.Raise(new IntegrationEvent { BoardId = board.Id.ToString(), BoardDeleted = new BoardDeleted { BoardId = board.Id.ToString() } });
            await db.SaveChangesAsync(ct);
            return new Empty();
        }, ct);
    }
}
