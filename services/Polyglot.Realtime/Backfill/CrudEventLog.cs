using System.Runtime.CompilerServices;
using Grpc.Core;
using Polyglot.Contracts.Events.V1;
using Polyglot.Streaming.Hub;

namespace Polyglot.Realtime.Backfill;

/// <summary>crud's event log over gRPC, read page by page until its end.</summary>
public sealed class CrudEventLog(EventLog.EventLogClient client) : IEventLog
{
    private const int PageSize = 1000;

    public async IAsyncEnumerable<HubEvent> ReadAfterAsync(HubChannel channel, long afterPosition, [EnumeratorCancellation] CancellationToken ct)
    {
        var request = new ListEventsRequest { AfterPosition = afterPosition, BoardId = channel.BoardId ?? "", PageSize = PageSize };
        while (true)
        {
            ListEventsResponse page;
            try
            {
                page = await client.ListEventsAsync(request, cancellationToken: ct);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.OutOfRange)
            {
                throw new HistoryLostException(ex.Status.Detail);
            }
            foreach (var integrationEvent in page.Events)
            {
                yield return HubEvent.From(integrationEvent);
            }
            if (page.Events.Count < PageSize)
            {
                yield break;
            }
            request.AfterPosition = page.Events[^1].Position;
        }
    }
}
