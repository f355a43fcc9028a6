using Polyglot.Contracts.Realtime.V1;

namespace Polyglot.Bench.Cost;

/// <summary>
/// Live gRPC subscriptions held on the streaming side, spread over the boards' channels and
/// shared HTTP/2 connections (1,000 streams each), every one read to the end: the count of
/// deliveries is the fan-out's work.
/// </summary>
public sealed class HeldSubscriptions : IAsyncDisposable
{
    private const int StreamsPerConnection = 1000;

    private readonly List<GrpcChannel> _connections = [];
    private readonly List<AsyncServerStreamingCall<SubscribeResponse>> _calls = [];
    private readonly List<Task> _readers = [];
    private readonly CancellationTokenSource _stop = new();
    private long _deliveries;
    private int _ended;

    public int Count => _calls.Count;

    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Streams that ended or failed while held (none should, but in a failure run).</summary>
    public int Ended => Volatile.Read(ref _ended);

    /// <summary>Opens more subscriptions until <paramref name="total"/> are held, each sending <paramref name="token"/>.</summary>
    public async Task GrowToAsync(Uri streamingGrpc, string token, string[] channels, int total, ProgressTask? progress, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(1000); // opening 50,000 at once would only queue in the client
        var opening = new List<Task>();
        for (var i = Count; i < total; i++)
        {
            if (i % StreamsPerConnection == 0)
            {
                _connections.Add(Connections.Open(streamingGrpc, 1, token)[0]);
            }
            var client = new Contracts.Realtime.V1.Realtime.RealtimeClient(_connections[^1]);
            var channel = channels[i % channels.Length];
            await gate.WaitAsync(ct);
            opening.Add(OpenAsync(client, channel, gate, progress, ct));
        }
        await Task.WhenAll(opening);
    }

    private async Task OpenAsync(Contracts.Realtime.V1.Realtime.RealtimeClient client, string channel, SemaphoreSlim gate, ProgressTask? progress, CancellationToken ct)
    {
        try
        {
            var call = client.Subscribe(new SubscribeRequest { Channel = channel }, cancellationToken: _stop.Token);
            if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.MessageCase != SubscribeResponse.MessageOneofCase.Subscribed)
            {
                throw new InvalidOperationException("A subscription did not confirm.");
            }
            lock (_calls)
            {
                _calls.Add(call);
                _readers.Add(ReadAsync(call));
            }
            progress?.Increment(1);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task ReadAsync(AsyncServerStreamingCall<SubscribeResponse> call)
    {
        try
        {
            while (await call.ResponseStream.MoveNext(_stop.Token))
            {
                Interlocked.Increment(ref _deliveries);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (RpcException)
        {
        }
        Interlocked.Increment(ref _ended);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_readers);
        _calls.ForEach(c => c.Dispose());
        _connections.ForEach(c => c.Dispose());
        _stop.Dispose();
    }
}
