using Microsoft.Extensions.Options;

namespace Polyglot.Streaming.Hub;

/// <summary>
/// Finds events lost at the end of the stream, which no later event shows as a gap: the last
/// message of a burst lost on the way, one that could never be read, or on Dapr what was published
/// before the sidecar subscribed. Every <see cref="HubOptions.HeadCheckInterval"/> it reads how far
/// crud has published; what was published one interval before and has still not come is read from
/// the log (<see cref="ChannelHub.CatchUpToAsync"/>). Events on their way arrive within the
/// interval, and what is not published yet (the broker down, the relay behind) is not looked
/// for, so in the normal run it reads nothing but that position.
/// </summary>
internal sealed partial class HeadCheck(
    ChannelHub hub, IEventLog eventLog, IOptions<HubOptions> options, TimeProvider clock, ILogger<HeadCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? published = null;
        while (true)
        {
            await Task.Delay(options.Value.HeadCheckInterval, clock, stoppingToken);
            try
            {
                if (published is { } upTo)
                {
                    await hub.CatchUpToAsync(upTo, stoppingToken);
                }
                published = hub.IsOpen ? await eventLog.ReadPublishedAsync(stoppingToken) : null;
            }
            catch (SubscriptionEndedException ex)
            {
                // The log unreachable: the next round tries again (crud's outage shows elsewhere).
                LogUnavailable(ex);
                published = null;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(ex);
                published = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The event log could not be read for the head check")]
    private partial void LogUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The head check failed; it runs again in one interval")]
    private partial void LogFailed(Exception exception);
}
