namespace Polyglot.Crud.Grpc;

/// <summary>The outbox read back as the event log, for subscribers that missed events; and board membership, for realtime's subscribers.</summary>
public sealed class EventLogService(BoardsDbContext db, IOptions<OutboxOptions> options) : EventLog.EventLogBase
{
    private const int DefaultPageSize = 100;

    public override async Task<ListEventsResponse> ListEvents(ListEventsRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var after = validate.Position(request.AfterPosition, "after_position");
        var boardId = validate.OptionalId("board_id", request.BoardId);
        var pageSize = validate.PageSize(request.PageSize, DefaultPageSize, options.Value.MaxEventLogPageSize);
        validate.ThrowIfInvalid();

        try
        {
            var (events, head) = await EventLogReader.ReadPageAsync(db, after, boardId, pageSize, context.CancellationToken);
            return new ListEventsResponse { Events = { events }, HeadPosition = head };
        }
        catch (HistoryLostException ex)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange, ex.Message));
        }
    }

    public override async Task<GetHeadResponse> GetHead(GetHeadRequest request, ServerCallContext context) => new()
    {
        // Published first: read after, the head may only be further on, never behind it.
        PublishedPosition = await EventLogReader.ReadPublishedAsync(db, context.CancellationToken),
        HeadPosition = await EventLogReader.ReadHeadAsync(db, context.CancellationToken),
    };

    public override async Task<GetMemberRoleResponse> GetMemberRole(GetMemberRoleRequest request, ServerCallContext context)
    {
        var validate = new RequestValidator();
        var boardId = validate.Id("board_id", request.BoardId);
        var subject = validate.RequiredText("subject", request.Subject, Limits.SubjectLength);
        validate.ThrowIfInvalid();

        var role = await BoardMembers.RoleAsync(db, boardId, subject, context.CancellationToken);
        return new GetMemberRoleResponse { Role = (Contracts.Boards.V1.Role)(role ?? 0) };
    }
}
