using V1 = Polyglot.Contracts.Boards.V1;

namespace Polyglot.Crud.Grpc;

public sealed class CardsService(BoardsDbContext db, ReadCache cache, BoardAccess access) : V1.Cards.CardsBase
{
    public override async Task<V1.Card> CreateCard(V1.CreateCardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var columnId = validate.Id("column_id", request.ColumnId);
        var title = validate.RequiredText("title", request.Title);
        var description = validate.Text("description", request.Description);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        // Before the lock: a non-member takes no lock on another board's column. A column stays
        // on its board, so the check holds under the lock too.
        var boardId = await db.BoardOfColumnAsync(columnId, ct);
        await access.RequireAsync(boardId, BoardRole.Editor, "Column", columnId, ct);
        return await db.AppendAsync(("Column", columnId), token => db.LockColumnAsync(columnId, token), async (now, token) => new Card
        {
            Id = Guid.CreateVersion7(now),
            BoardId = boardId,
            ColumnId = columnId,
            Title = title,
            Description = description,
            Index = await db.Cards.CountAsync(c => c.ColumnId == columnId, token),
            CreatedAt = now,
            UpdatedAt = now,
        }, Mapping.ToProto, reply => new IntegrationEvent { BoardId = reply.BoardId, CardCreated = new CardCreated { Card = reply } }, ct);
    }

    public override async Task<V1.Card> GetCard(V1.GetCardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        validate.ThrowIfInvalid();

        return await cache.GetAsync(access, id, ct => db.CardByIdAsync(id, ct), Mapping.ToProto, context.CancellationToken);
    }

    public override async Task<V1.ListCardsResponse> ListCards(V1.ListCardsRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var columnId = validate.Id("column_id", request.ColumnId);
        var pageSize = validate.PageSize(request.PageSize);
        var after = validate.OrderedPageToken(request.PageToken, columnId);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        var boardId = await db.BoardOfColumnAsync(columnId, ct);
        await access.RequireAsync(boardId, BoardRole.Viewer, "Column", columnId, ct);
        var (cards, next) = await db.Cards.AsNoTracking().Where(c => c.ColumnId == columnId).ReadOrderedPageAsync(columnId, after, pageSize, ct);
        return new V1.ListCardsResponse { Cards = { cards.Select(c => c.ToProto()) }, NextPageToken = next };
    }

    public override async Task<V1.Card> UpdateCard(V1.UpdateCardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        var version = validate.Version(request.Version);
        var title = validate.RequiredText("title", request.Title);
        var description = request.HasDescription ? validate.Text("description", request.Description) : null;
        validate.ThrowIfInvalid();

        return await db.UpdateAsync(access, id, version, (Card card) =>
        {
            card.Title = title;
            card.Description = description ?? card.Description;
        }, Mapping.ToProto, reply => new IntegrationEvent { BoardId = reply.BoardId, CardUpdated = new CardUpdated { Card = reply } }, context.CancellationToken);
    }

    public override async Task<V1.Card> MoveCard(V1.MoveCardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        var version = validate.Version(request.Version);
        var toColumnId = validate.Id("column_id", request.ColumnId);
        var toIndex = validate.Index(request.Index);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        // Before the locks: a non-member learns nothing, not even from which column is missing,
        // and locks nothing. Cards and columns stay on their boards, so the checks hold under the
        // locks too.
        var (fromColumnId, boardId) = await EditableCardAsync(id, ct);
        var toBoardId = await db.BoardOfColumnAsync(toColumnId, ct);
        if (toBoardId != boardId)
        {
            // Where the column is, only its board's members may learn.
            await access.RequireAsync(toBoardId, BoardRole.Viewer, "Column", toColumnId, ct);
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Column {toColumnId} is on another board; cards move only within their board."));
        }
        return await db.InTransactionAsync(async () =>
        {
            // Both columns' orders change: lock them in id order so two opposite moves cannot deadlock.
            foreach (var columnId in new[] { fromColumnId, toColumnId }.Distinct().Order())
            {
                if (!await db.LockColumnAsync(columnId, ct))
                {
                    throw Errors.NotFound("Column", columnId);
                }
            }
            // Read again under the locks: moved meanwhile, it is no longer in the column locked.
            var card = await db.Cards.FindAsync([id], ct) ?? throw Errors.NotFound("Card", id);
            Errors.ExpectVersion(card, version);
            ExpectColumn(card, fromColumnId);

            var fromIndex = card.Index;
            await db.Cards
                .Where(c => c.ColumnId == fromColumnId && c.Index > fromIndex)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Index, c => c.Index - 1), ct);
            var othersInTarget = await db.Cards.CountAsync(c => c.ColumnId == toColumnId && c.Id != id, ct);
            toIndex = Math.Min(toIndex, othersInTarget);
            await db.Cards
                .Where(c => c.ColumnId == toColumnId && c.Id != id && c.Index >= toIndex)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Index, c => c.Index + 1), ct);

            card.ColumnId = toColumnId;
            card.Index = toIndex;
            card.Version++;
            card.UpdatedAt = db.Now();
            var reply = card.ToProto();
            db.Events.Raise(new IntegrationEvent
            {
                BoardId = reply.BoardId,
                CardMoved = new CardMoved { Card = reply, FromColumnId = fromColumnId.ToString(), FromIndex = fromIndex },
            });
            await db.SaveChangesAsync(ct);
            return reply;
        }, ct);
    }

    public override async Task<Empty> DeleteCard(V1.DeleteCardRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var id = validate.Id("id", request.Id);
        var version = validate.Version(request.Version);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        var (columnId, _) = await EditableCardAsync(id, ct);
        return await db.InTransactionAsync(async () =>
        {
            await db.LockColumnAsync(columnId, ct);
            var card = await db.Cards.FindAsync([id], ct) ?? throw Errors.NotFound("Card", id);
            Errors.ExpectVersion(card, version);
            ExpectColumn(card, columnId);
            db.Cards.Remove(card);
            await db.Cards
                .Where(c => c.ColumnId == card.ColumnId && c.Index > card.Index)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Index, c => c.Index - 1), ct);
            db.Events.Raise(new IntegrationEvent
            {
                BoardId = card.BoardId.ToString(),
                CardDeleted = new CardDeleted { CardId = id.ToString(), ColumnId = card.ColumnId.ToString(), Index = card.Index },
            });
            await db.SaveChangesAsync(ct);
            return new Empty();
        }, ct);
    }

    /// <summary>
    /// ABORTED when the card left the column whose lock was taken for it, moved by a request that
    /// committed between reading where it was and taking the lock: at the version the client
    /// named (a client may send a card's moves one after another, each at the version the one
    /// before makes), renumbering the column locked would break both columns' order.
    /// </summary>
    private static void ExpectColumn(Card card, Guid lockedColumnId)
    {
        if (card.ColumnId != lockedColumnId)
        {
            throw new RpcException(new Status(StatusCode.Aborted,
                $"Card {card.Id} was moved by another request meanwhile: re-read it and retry."));
        }
    }

    /// <summary>
    /// Where card <paramref name="id"/> is, once the caller may edit its board: NOT_FOUND for a
    /// non-member, as for no such card.
    /// </summary>
    private async Task<(Guid ColumnId, Guid BoardId)> EditableCardAsync(Guid id, CancellationToken ct)
    {
        var place = await db.Cards.Where(c => c.Id == id).Select(c => new { c.ColumnId, c.BoardId }).SingleOrDefaultAsync(ct)
            ?? throw Errors.NotFound("Card", id);
        await access.RequireAsync(place.BoardId, BoardRole.Editor, "Card", id, ct);
        return (place.ColumnId, place.BoardId);
    }
}
