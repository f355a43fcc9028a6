using Grpc.Core;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Streaming.Auth;

namespace Polyglot.Realtime.Backfill;

/// <summary>
/// Board membership as crud has it committed, asked for each subscription to a board (crud is
/// the authority; a removal reaches the hub as an event and ends the member's open streams).
/// crud's own status never reaches a subscriber: a failure is "unavailable, subscribe later".
/// </summary>
public sealed partial class CrudBoardMembers(EventLog.EventLogClient client, ILogger<CrudBoardMembers> logger) : IBoardMembers
{
    public async Task<bool> IsMemberAsync(Guid boardId, string subject, CancellationToken ct)
    {
        try
        {
            var reply = await client.GetMemberRoleAsync(new GetMemberRoleRequest { BoardId = boardId.ToString(), Subject = subject },
                deadline: DateTime.UtcNow + CrudOptions.CallDeadline, cancellationToken: ct);
            return reply.Role != Role.Unspecified;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            return false; // a subject crud could never have made a member (too long)
        }
        catch (Exception ex) when (CrudOptions.FailureOf(ex, ct) is { } status)
        {
            LogUnanswered(ex, status);
            throw new SubscriptionEndedException(EndReason.Unavailable, "Board membership cannot be checked right now: subscribe again later.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "crud did not say who is on a board ({StatusCode}): subscribers to boards are refused as unavailable")]
    private partial void LogUnanswered(Exception exception, StatusCode statusCode);
}
