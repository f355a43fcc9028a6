namespace Polyglot.Realtime.Tests;

/// <summary>
/// A topology run as real processes, for the bad-input suite: a request that crashed the
/// streaming side would show as a dead process, which an in-process host could not show.
/// </summary>
public abstract class StreamingProcessesFixture : IAsyncLifetime
{
    protected readonly string Database = SqliteFile.NewConnectionString();

    private GrpcChannel? _crudChannel;
    private GrpcChannel? _streamingChannel;

    /// <summary>The process that holds the subscriptions: realtime in the split, crud in the monolith.</summary>
    public ServiceProcess Streaming { get; protected set; } = null!;

    /// <summary>The process clients write to.</summary>
    public ServiceProcess Crud { get; protected set; } = null!;

    public Boards.BoardsClient Boards => new(_crudChannel ??= LocalAuth.Shared.CrudChannel(Crud));

    /// <summary>The streaming side's gRPC API, signed in as the local service client (every scope).</summary>
    public Contracts.Realtime.V1.Realtime.RealtimeClient Realtime => new(_streamingChannel ??= LocalAuth.Shared.StreamingChannel(Streaming.GrpcAddress, Crud.HttpAddress));

    /// <summary>The streaming side's HTTP endpoints, signed in as the local service client.</summary>
    public HttpClient StreamingHttp() => LocalAuth.Shared.SignedInHttpClient(Streaming.HttpAddress, Crud.HttpAddress);

    /// <summary>A WebSocket subscription to <c>/ws?{query}</c>, signed in as the local service client.</summary>
    public async Task<System.Net.WebSockets.ClientWebSocket> ConnectWebSocketAsync(string query, CancellationToken ct, HttpMessageInvoker? invoker = null) =>
        await TextStreams.ConnectWebSocketAsync(Streaming.HttpAddress, query, await LocalAuth.Shared.AccessTokenAsync(Crud.HttpAddress, ct), ct, invoker);

    public abstract ValueTask InitializeAsync();

    /// <summary>Once the streaming side is healthy it has read the log's head and takes subscribers.</summary>
    protected async Task WaitHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = Streaming.HttpAddress };
        await Wait.UntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(60), "the streaming process to be healthy");
    }

    /// <summary>The streaming process still runs and says it is healthy.</summary>
    public async Task AssertHealthyAsync()
    {
        Assert.NotNull(Streaming.ProcessId);
        using var http = new HttpClient { BaseAddress = Streaming.HttpAddress };
        Assert.Equal("Healthy", await http.GetStringAsync("/health"));
    }

    public async ValueTask DisposeAsync()
    {
        _crudChannel?.Dispose();
        _streamingChannel?.Dispose();
        await Streaming.DisposeAsync();
        await Crud.DisposeAsync();
    }
}
