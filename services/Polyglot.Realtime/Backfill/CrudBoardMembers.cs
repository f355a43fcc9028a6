using Grpc.Core;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events.V1;
using Polyglot.Streaming.Auth;
using Polyglot.Streaming.Hub;

namespace Polyglot.Realtime.Backfill;

/// <summary>
/// Board membership as crud has it committed, asked for each subscription to a board (crud is
/// the authority; a removal reaches the hub as an event and ends the member's open streams).
/// </summary>
public sealed class CrudBoardMembers(EventLog.EventLogClient client) : IBoardMembers
{
    public async Task<bool> IsMemberAsync(Guid boardId, string subject, CancellationToken ct)
    {
        try
        {
            var reply = await client.GetMemberRoleAsync(new GetMemberRoleRequest { BoardId = boardId.ToString(), Subject = subject }, cancellationToken: ct);
            return reply.Role != Role.Unspecified;
        }
        catch (RpcException ex) when (!ct.IsCancellationRequested)
        {
            throw new SubscriptionEndedException(EndReason.Unavailable,
                $"Board membership cannot be checked right now ({ex.StatusCode}): subscribe again later.");
        }
    }
}
