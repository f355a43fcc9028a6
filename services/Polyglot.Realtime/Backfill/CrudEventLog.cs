using System.Runtime.CompilerServices;
using Grpc.Core;

namespace Polyglot.Realtime.Backfill;

/// <summary>
/// crud's event log over gRPC, read page by page up to its head. crud's own status never reaches
/// a subscriber: OUT_OF_RANGE becomes history lost, any other failure "unavailable, resume later".
/// </summary>
public sealed class CrudEventLog(EventLog.EventLogClient client) : IEventLog
{
    private const int PageSize = 1000;

    public async Task<long> ReadHeadAsync(CancellationToken ct) => (await GetHeadAsync(ct)).HeadPosition;

    public async Task<long> ReadPublishedAsync(CancellationToken ct) => (await GetHeadAsync(ct)).PublishedPosition;

    private Task<GetHeadResponse> GetHeadAsync(CancellationToken ct) =>
        CallAsync(() => client.GetHeadAsync(new GetHeadRequest(), deadline: DateTime.UtcNow + CrudOptions.CallDeadline, cancellationToken: ct), ct);

    public async IAsyncEnumerable<HubEvent> ReadAfterAsync(HubChannel channel, long afterPosition, [EnumeratorCancellation] CancellationToken ct)
    {
        var request = new ListEventsRequest { AfterPosition = afterPosition, BoardId = channel.BoardId ?? "", PageSize = PageSize };
        while (true)
        {
            var page = await CallAsync(() => client.ListEventsAsync(request, deadline: DateTime.UtcNow + CrudOptions.CallDeadline, cancellationToken: ct), ct);
            foreach (var integrationEvent in page.Events)
            {
                yield return HubEvent.From(integrationEvent);
            }
            // The end is the head the page was read at, not a short page: crud may cap pages below
            // what was asked. (One board's last page may end before the head: the next one is empty.)
            if (page.Events.Count == 0 || page.Events[^1].Position >= page.HeadPosition)
            {
                yield break;
            }
            request.AfterPosition = page.Events[^1].Position;
        }
    }

    private static async Task<T> CallAsync<T>(Func<AsyncUnaryCall<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.OutOfRange)
        {
            throw new SubscriptionEndedException(EndReason.HistoryLost, ex.Status.Detail);
        }
        catch (Exception ex) when (CrudOptions.FailureOf(ex, ct) is { } status)
        {
            throw new SubscriptionEndedException(EndReason.Unavailable,
                $"The event log cannot be read right now ({status}): resume later, after the last position you received.");
        }
    }
}
