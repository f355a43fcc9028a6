using System.Diagnostics.Metrics;
using System.Text.Json;
using Google.Protobuf;

namespace Polyglot.Realtime.Dapr;

/// <summary>
/// Feeds the hub from Dapr: the sidecar delivers each batch crud published as a CloudEvent (the
/// CloudEvents middleware hands on its data, from <c>data</c> or <c>data_base64</c>), to the same
/// ingest path as the RabbitMQ consumer — order, de-duplication, gaps read from crud. Answers in
/// Dapr's words: SUCCESS; RETRY while the hub cannot take events yet (not open, or crud unreachable
/// while filling a gap); DROP, logged and counted, for a body that can never be read. Nothing is
/// lost to a DROP: the next event, or the hub's head check, finds the gap and reads it from crud.
/// </summary>
public sealed partial class DaprIngest
{
    private readonly ChannelHub _hub;
    private readonly ILogger<DaprIngest> _logger;
    private readonly Counter<long> _dropped;

    public DaprIngest(ChannelHub hub, ILogger<DaprIngest> logger, IMeterFactory meters)
    {
        _hub = hub;
        _logger = logger;
        _dropped = meters.Create("Polyglot.Realtime.Dapr").CreateCounter<long>("polyglot.dapr.dropped", "{message}",
            "Messages from Dapr answered DROP: a body that is not a batch of integration events");
    }

    public async Task<IResult> ReceiveAsync(HttpRequest request, CancellationToken ct)
    {
        List<HubEvent> events;
        try
        {
            var batch = await JsonSerializer.DeserializeAsync<IntegrationEventBatch>(request.Body, JsonSerializerOptions.Web, ct);
            events = HubEvent.From(batch);
        }
        catch (Exception ex) when (ex is JsonException or InvalidProtocolBufferException or ArgumentException)
        {
            LogDropped(ex);
            _dropped.Add(1);
            return Answer("DROP");
        }
        if (!_hub.IsOpen)
        {
            return Answer("RETRY");
        }
        try
        {
            foreach (var hubEvent in events)
            {
                await _hub.ReceiveAsync(hubEvent, ct);
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogRetry(ex);
            return Answer("RETRY");
        }
        return Answer("SUCCESS");
    }

    private static IResult Answer(string status) => Results.Ok(new { status });

    [LoggerMessage(Level = LogLevel.Error, Message = "A message from Dapr is not a batch of integration events: dropped")]
    private partial void LogDropped(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch from Dapr could not be taken now: Dapr will deliver it again")]
    private partial void LogRetry(Exception exception);
}
