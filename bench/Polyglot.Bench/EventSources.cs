using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Polyglot.Contracts.Boards.V1;
using Polyglot.Contracts.Events;
using Polyglot.Contracts.Events.V1;
using RabbitMQ.Client;

namespace Polyglot.Bench;

/// <summary>Where the fan-out's events come from; each is a CardCreated on one board.</summary>
public interface IEventSource : IAsyncDisposable
{
    string BoardId { get; }

    /// <summary>What the latency is measured from: the event's occurred_at is stamped there.</summary>
    string LatencyFrom { get; }

    /// <summary>Makes <paramref name="count"/> events at <paramref name="rate"/> per second, on schedule.</summary>
    Task PublishAsync(int count, int rate, ProgressTask? progress, CancellationToken ct);
}

/// <summary>Real commits: cards created on crud travel through its outbox, relay and RabbitMQ.</summary>
public sealed class CrudEvents : IEventSource
{
    private readonly Grpc.Net.Client.GrpcChannel _crud;
    private readonly Cards.CardsClient _cards;
    private readonly string _columnId;

    private CrudEvents(Grpc.Net.Client.GrpcChannel crud, string boardId, string columnId)
    {
        _crud = crud;
        _cards = new Cards.CardsClient(crud);
        BoardId = boardId;
        _columnId = columnId;
    }

    public string BoardId { get; }

    public string LatencyFrom => "commit";

    public static async Task<CrudEvents> CreateAsync(Grpc.Net.Client.GrpcChannel crud, CancellationToken ct)
    {
        var board = await new Boards.BoardsClient(crud).CreateBoardAsync(new CreateBoardRequest { Name = "fan-out benchmark" }, cancellationToken: ct);
        var column = await new Contracts.Boards.V1.Columns.ColumnsClient(crud).CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "events" }, cancellationToken: ct);
        return new CrudEvents(crud, board.Id, column.Id);
    }

    /// <remarks>Up to 64 creates in flight; the schedule goes on while they wait for a turn.</remarks>
    public async Task PublishAsync(int count, int rate, ProgressTask? progress, CancellationToken ct)
    {
        using var inFlight = new SemaphoreSlim(64);
        await Pace.AtRateAsync(count, rate, CreateAsync, ct);

        async Task CreateAsync(int i)
        {
            await inFlight.WaitAsync(ct);
            try
            {
                await _cards.CreateCardAsync(new CreateCardRequest { ColumnId = _columnId, Title = $"event {i}" }, cancellationToken: ct);
                progress?.Increment(1);
            }
            finally
            {
                inFlight.Release();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _crud.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The specialist alone: the benchmark plays crud's relay and publishes batches of consecutive
/// events straight to the events exchange (<see cref="EventsExchange"/>), every 5 ms what is
/// due — rates beyond what crud commits on a small machine.
/// </summary>
public sealed class BusEvents : IEventSource
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly Guid _board = Guid.NewGuid();
    private long _position;

    private BusEvents(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public string BoardId => _board.ToString();

    /// <summary>When the schedule had each event due: its publish, give or take the 5 ms tick, or earlier when publishing fell behind.</summary>
    public string LatencyFrom => "due";

    public static async Task<BusEvents> CreateAsync(string bus, CancellationToken ct)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(bus) }.CreateConnectionAsync(ct);
        return new BusEvents(connection, await connection.CreateChannelAsync(cancellationToken: ct));
    }

    public async Task PublishAsync(int count, int rate, ProgressTask? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow;
        for (var sent = 0; sent < count;)
        {
            var due = Math.Min(count, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            if (due > sent)
            {
                // Each event is stamped when it was due, not when it went: a publisher that fell
                // behind (a slow broker, a stalled loop) then shows in the latency, not hides in it.
                await PublishBatchAsync(sent, due - sent, i => start + TimeSpan.FromSeconds((double)i / rate), ct);
                progress?.Increment(due - sent);
                sent = due;
            }
            await Task.Delay(5, ct);
        }
    }

    private async Task PublishBatchAsync(int first, int size, Func<int, DateTimeOffset> dueAt, CancellationToken ct)
    {
        var events = Enumerable.Range(first, size).Select(i =>
        {
            var occurredAt = dueAt(i);
            var position = ++_position;
            var payload = new IntegrationEvent
            {
                Position = position,
                EventId = Guid.NewGuid().ToString(),
                BoardId = BoardId,
                OccurredAt = Timestamp.FromDateTimeOffset(occurredAt),
                CardCreated = new CardCreated { Card = new Card { Id = Guid.NewGuid().ToString(), BoardId = BoardId, Title = $"event {position}" } },
            };
            return new IntegrationEventEnvelope(position, Guid.Parse(payload.EventId), _board, nameof(CardCreated), occurredAt, payload.ToByteArray());
        }).ToList();
        await EventsExchange.PublishAsync(_channel, events, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
