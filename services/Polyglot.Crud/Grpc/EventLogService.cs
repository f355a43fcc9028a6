using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Polyglot.Contracts.Events.V1;
using Polyglot.Crud.Data;
using Polyglot.Crud.Outbox;

namespace Polyglot.Crud.Grpc;

/// <summary>The outbox read back as the event log, for subscribers that missed events.</summary>
public sealed class EventLogService(BoardsDbContext db) : EventLog.EventLogBase
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    public override async Task<ListEventsResponse> ListEvents(ListEventsRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var after = validate.Position(request.AfterPosition, "after_position");
        var boardId = validate.OptionalId("board_id", request.BoardId);
        var pageSize = validate.PageSize(request.PageSize, DefaultPageSize, MaxPageSize);
        validate.ThrowIfInvalid();

        var ct = context.CancellationToken;
        var oldest = await db.Outbox.MinAsync(m => (long?)m.Position, ct);
        var events = db.Outbox.AsNoTracking().Where(m => m.Position > after);
        if (boardId is { } board)
        {
            events = events.Where(m => m.BoardId == board);
        }
        var payloads = await events.OrderBy(m => m.Position).Take(pageSize).Select(m => m.Payload).ToListAsync(ct);
        // Read last, so the head is at or past every event returned.
        var head = await db.OutboxCursors.Where(c => c.Name == OutboxCursor.Written).Select(c => c.Position).SingleAsync(ct);

        // The log holds every position after its oldest row's predecessor; older ones were pruned.
        var floor = (oldest ?? head + 1) - 1;
        if (after < floor)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange,
                $"History lost: the event log starts after position {floor}, not {after}. Re-read the state, then subscribe live."));
        }
        return new ListEventsResponse
        {
            Events = { payloads.Select(IntegrationEvent.Parser.ParseFrom) },
            HeadPosition = head,
        };
    }
}
