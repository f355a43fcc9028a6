using V1 = Polyglot.Contracts.Boards.V1;

namespace Polyglot.Crud.Grpc;

public sealed class ColumnsService(BoardsDbContext db, ReadCache cache, BoardAccess access) : V1.Columns.ColumnsBase
{
    public override async Task<V1.Column> CreateColumn(V1.CreateColumnRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var boardId = validate.Id("board_id", request.BoardId);
        var name = validate.RequiredText("name", request.Name);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        await access.RequireAsync(boardId, BoardRole.Editor, "Board", boardId, ct);
        return await db.AppendAsync(("Board", boardId), token => db.LockBoardAsync(boardId, token), async (now, token) => new Column
        {
            Id = Guid.CreateVersion7(now),
            BoardId = boardId,
            Name = name,
            Index = await db.Columns.CountAsync(c => c.BoardId == boardId, token),
            CreatedAt = now,
            UpdatedAt = now,
        }, Mapping.ToProto, reply => new IntegrationEvent { BoardId = reply.BoardId, ColumnCreated = new ColumnCreated { Column = reply } }, ct);
    }

    public override async Task<V1.Column> GetColumn(V1.GetColumnRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        validate.ThrowIfInvalid();

        return await cache.GetAsync(access, id, ct => db.Columns.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct), Mapping.ToProto, context.CancellationToken);
    }

    public override async Task<V1.ListColumnsResponse> ListColumns(V1.ListColumnsRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var boardId = validate.Id("board_id", request.BoardId);
        var pageSize = validate.PageSize(request.PageSize);
        var after = validate.OrderedPageToken(request.PageToken, boardId);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        // Members only; and a board's members go with it.
        await access.RequireAsync(boardId, BoardRole.Viewer, "Board", boardId, ct);
        var (columns, next) = await db.Columns.AsNoTracking().Where(c => c.BoardId == boardId).ReadOrderedPageAsync(boardId, after, pageSize, ct);
        return new V1.ListColumnsResponse { Columns = { columns.Select(c => c.ToProto()) }, NextPageToken = next };
    }

    public override async Task<V1.Column> UpdateColumn(V1.UpdateColumnRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        var version = validate.Version(request.Version);
        var name = validate.RequiredText("name", request.Name);
        validate.ThrowIfInvalid();

        return await db.UpdateAsync(access, id, version, (Column column) => column.Name = name,
            Mapping.ToProto, reply => new IntegrationEvent { BoardId = reply.BoardId, ColumnUpdated = new ColumnUpdated { Column = reply } }, context.CancellationToken);
    }

    public override async Task<Empty> DeleteColumn(V1.DeleteColumnRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        var version = validate.Version(request.Version);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        var boardId = await db.BoardOfColumnAsync(id, ct);
        await access.RequireAsync(boardId, BoardRole.Editor, "Column", id, ct);
        return await db.InTransactionAsync(async () =>
        {
            await db.LockBoardAsync(boardId, ct);
            // Read again under the lock: the index may have moved since.
            var column = await db.Columns.FindAsync([id], ct) ?? throw Errors.NotFound("Column", id);
            Errors.ExpectVersion(column, version);
            db.Columns.Remove(column); // the database cascades to its cards
            await db.Columns
                .Where(c => c.BoardId == boardId && c.Index > column.Index)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Index, c => c.Index - 1), ct);
            db.Events.Raise(new IntegrationEvent
            {
                BoardId = boardId.ToString(),
                ColumnDeleted = new ColumnDeleted { ColumnId = id.ToString(), Index = column.Index },
            });
            await db.SaveChangesAsync(ct);
            return new Empty();
        }, ct);
    }
}
