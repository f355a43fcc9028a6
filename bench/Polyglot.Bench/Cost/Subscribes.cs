using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Realtime.V1;

namespace Polyglot.Bench.Cost;

/// <summary>
/// How long a subscription takes to start, one at a time on one connection, from the call to its
/// <c>subscribed</c> message: a service subscribing to <c>all</c> (its token's check, remembered
/// after the first), and a board's member subscribing to the board — which also asks crud who is on
/// the board: over gRPC in the split, in crud's own tables in the monolith.
/// </summary>
public static class Subscribes
{
    private const int WarmUp = 100;

    public static async Task<(Latency AsService, Latency AsMember)> MeasureAsync(TopologyUnderTest system, int count, CancellationToken ct)
    {
        using var crud = LocalAuth.Member.CrudChannel(system.Crud);
        var board = await new Boards.BoardsClient(crud).CreateBoardAsync(new CreateBoardRequest { Name = "Subscribed to" }, cancellationToken: ct);
        var asService = await TimeAsync(system, await LocalAuth.Shared.AccessTokenAsync(system.Crud.HttpAddress, ct), "all", count, ct);
        var asMember = await TimeAsync(system, await LocalAuth.Member.AccessTokenAsync(system.Crud.HttpAddress, ct), $"board:{board.Id}", count, ct);
        return (asService, asMember);
    }

    private static async Task<Latency> TimeAsync(TopologyUnderTest system, string token, string channel, int count, CancellationToken ct)
    {
        using var connection = Connections.Open(system.Streaming.GrpcAddress, 1, token)[0];
        var client = new Realtime.RealtimeClient(connection);
        var histogram = new LongHistogram(TimeStamp.Minutes(1), 3);
        for (var i = -WarmUp; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var call = client.Subscribe(new SubscribeRequest { Channel = channel }, cancellationToken: ct);
            if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.MessageCase != SubscribeResponse.MessageOneofCase.Subscribed)
            {
                throw new InvalidOperationException($"A subscription to {channel} did not start.");
            }
            if (i >= 0)
            {
                histogram.RecordValue(Stopwatch.GetTimestamp() - started);
            }
        }
        return Latency.Of(histogram);
    }
}
