using Grpc.Core;
using Grpc.Net.Client;
using Polyglot.Contracts.Events.V1;
using Polyglot.Contracts.Realtime.V1;

namespace Polyglot.LocalServers;

/// <summary>
/// A subscriber as a client should be written: whenever its stream breaks, it subscribes again
/// after the last position it received, until told to stop. Only a history-lost answer ends it.
/// The chaos suite and the benchmark's failure runs drive the services with it.
/// </summary>
/// <param name="crudHttp">The crud whose token it subscribes with, signed in as <see cref="SignedInAs"/>.</param>
public sealed class ResumingSubscriber(string channel, Uri realtime, Uri crudHttp)
{
    private readonly List<IntegrationEvent> _received = [];
    private long _liveSince;

    public string Channel { get; } = channel;

    public int Reconnects { get; private set; }

    /// <summary>When the current stream said `subscribed` (UTC ticks); 0 while not connected.</summary>
    public DateTime? LiveSince => Volatile.Read(ref _liveSince) is var ticks and > 0 ? new DateTime(ticks, DateTimeKind.Utc) : null;

    public string? HistoryLost { get; private set; }

    public IReadOnlyList<IntegrationEvent> Received
    {
        get { lock (_received) { return [.. _received]; } }
    }

    public long Last
    {
        get { lock (_received) { return _received.Count == 0 ? 0 : _received[^1].Position; } }
    }

    /// <summary>Who it subscribes as: a service by default; <see cref="LocalAuth.Member"/> to be asked for membership as a person is.</summary>
    public LocalAuth SignedInAs { get; init; } = LocalAuth.Shared;

    /// <summary>When set, the subscriber itself ends each stream after this long and resumes — as a flaky mobile client would.</summary>
    public TimeSpan? ResumeEvery { get; init; }

    /// <summary>Streams the subscriber ended itself (see <see cref="ResumeEvery"/>) and resumed.</summary>
    public int Resumes { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            using var stream = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (ResumeEvery is { } every)
            {
                stream.CancelAfter(every);
            }
            try
            {
                using var connection = SignedInAs.StreamingChannel(realtime, crudHttp);
                using var call = new Contracts.Realtime.V1.Realtime.RealtimeClient(connection).Subscribe(
                    new SubscribeRequest { Channel = Channel, AfterPosition = Last }, cancellationToken: stream.Token);
                await foreach (var message in call.ResponseStream.ReadAllAsync(stream.Token))
                {
                    if (message.MessageCase == SubscribeResponse.MessageOneofCase.Subscribed)
                    {
                        Volatile.Write(ref _liveSince, DateTime.UtcNow.Ticks);
                    }
                    else if (message.MessageCase == SubscribeResponse.MessageOneofCase.Event)
                    {
                        lock (_received)
                        {
                            _received.Add(message.Event);
                        }
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.OutOfRange)
            {
                HistoryLost = ex.Status.Detail;
                return;
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (stream.IsCancellationRequested)
            {
                Resumes++;
                Volatile.Write(ref _liveSince, 0);
                continue;
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException or HttpRequestException)
            {
                // The streaming side was killed, is restarting, or drained us: come back and resume.
            }
            Volatile.Write(ref _liveSince, 0);
            Reconnects++;
            await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
        }
    }
}
