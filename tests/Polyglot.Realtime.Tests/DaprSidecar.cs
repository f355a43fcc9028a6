using System.Collections.Concurrent;
using System.Threading.Channels;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using DaprService = Dapr.Client.Autogen.Grpc.v1.Dapr;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The publishing half of a Dapr sidecar, written for these contract tests from Dapr's own gRPC
/// contract (Dapr.Protos: <c>dapr.proto.runtime.v1.Dapr/PublishEvent</c>), served over real
/// HTTP/2. It takes only calls with its API token (<c>dapr-api-token</c>, as daprd given
/// <c>DAPR_API_TOKEN</c>); it records each publish; while <see cref="Unavailable"/> it refuses them
/// as a sidecar that lost its broker would; and, given a subscriber's route, it delivers each one there as Dapr
/// does: a structured CloudEvent (built with the CloudEvents SDK, an independent implementation),
/// one at a time in order, again after RETRY. Not daprd: no component, no broker behind it.
/// </summary>
[BindServiceMethod(typeof(DaprSidecar), nameof(BindService))]
public class DaprSidecar : IAsyncDisposable
{
    private static readonly Method<PublishEventRequest, Empty> PublishEventMethod = new(
        MethodType.Unary,
        DaprService.Descriptor.FullName,
        DaprService.Descriptor.FindMethodByName("PublishEvent").Name,
        Marshallers.Create(m => m.ToByteArray(), PublishEventRequest.Parser.ParseFrom),
        Marshallers.Create(m => m.ToByteArray(), Empty.Parser.ParseFrom));

    private readonly WebApplication _app;
    private readonly Channel<PublishEventRequest> _deliveries = Channel.CreateUnbounded<PublishEventRequest>();
    private readonly CancellationTokenSource _stop = new();
    private Task _delivering = Task.CompletedTask;
    private int _refused;
    private int _unauthenticated;

    public DaprSidecar()
    {
        Address = new Uri($"http://127.0.0.1:{Ports.Free()}");
        // Empty: no appsettings.json of the services beside the tests, so no endpoints but this one.
        var builder = WebApplication.CreateEmptyBuilder(new());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.ListenLocalhost(Address.Port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddRouting();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        _app = builder.Build();
        _app.MapGrpcService<DaprSidecar>();
    }

    /// <summary>The API token it requires of every call, as daprd given <c>DAPR_API_TOKEN</c>.</summary>
    public const string ApiToken = "dapr-api-token-for-the-tests";

    /// <summary>Where the app's Dapr client reaches this sidecar (its DAPR_GRPC_ENDPOINT).</summary>
    public Uri Address { get; }

    /// <summary>Every publish accepted, in the order it came.</summary>
    public ConcurrentQueue<PublishEventRequest> Published { get; } = new();

    /// <summary>Publishes refused while unavailable.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Calls refused for want of its API token.</summary>
    public int Unauthenticated => Volatile.Read(ref _unauthenticated);

    public bool Unavailable { get; set; }

    /// <summary>What the subscriber answered each delivery: SUCCESS, RETRY or DROP.</summary>
    public ConcurrentQueue<string> Answers { get; } = new();

    public Task StartAsync() => _app.StartAsync();

    /// <summary>Delivers every publish to the subscriber's route from now on, with Dapr's app API token, alternating the CloudEvent's <c>data</c> and <c>data_base64</c> forms.</summary>
    public void DeliverTo(Uri subscriberRoute, string appToken) => _delivering = Task.Run(() => DeliverAsync(subscriberRoute, appToken, _stop.Token));

    /// <summary>
    /// As generated service bases bind: ASP.NET Core's gRPC passes no instance and calls
    /// <see cref="PublishEvent"/> on the registered one — which it finds only as a virtual method
    /// of the type carrying the attribute, hence a class that is not sealed.
    /// </summary>
    public static void BindService(ServiceBinderBase binder, DaprSidecar? sidecar) =>
        binder.AddMethod(PublishEventMethod, sidecar is null ? null! : sidecar.PublishEvent);

    public virtual Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue("dapr-api-token") != ApiToken)
        {
            Interlocked.Increment(ref _unauthenticated);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the API token is missing or wrong"));
        }
        if (Unavailable)
        {
            Interlocked.Increment(ref _refused);
            throw new RpcException(new Status(StatusCode.Unavailable, "the pub/sub component cannot reach its broker"));
        }
        Published.Enqueue(request);
        _deliveries.Writer.TryWrite(request);
        return Task.FromResult(new Empty());
    }

    private async Task DeliverAsync(Uri route, string appToken, CancellationToken ct)
    {
        using var http = new HttpClient { DefaultRequestHeaders = { { "dapr-api-token", appToken } } };
        var formatter = new JsonEventFormatter();
        var count = 0;
        await foreach (var request in _deliveries.Reader.ReadAllAsync(ct))
        {
            var cloudEvent = CloudEventOf(request, asBase64: count++ % 2 == 1);
            while (true)
            {
                var body = formatter.EncodeStructuredModeMessage(cloudEvent, out var contentType);
                using var content = new ByteArrayContent(body.ToArray());
                content.Headers.ContentType = new(contentType.MediaType);
                using var response = await http.PostAsync(route, content, ct);
                var status = response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString()! : "RETRY";
                Answers.Enqueue(status);
                if (status != "RETRY")
                {
                    break;
                }
                await Task.Delay(100, ct); // Dapr's own retry policy, not a wait in a test
            }
        }
    }

    /// <summary>The CloudEvent a sidecar makes of a publish: its data as JSON (<c>data</c>), or as bytes (<c>data_base64</c>).</summary>
    public static CloudEvent CloudEventOf(PublishEventRequest request, bool asBase64) => new()
    {
        Id = Guid.NewGuid().ToString(),
        Source = new Uri("crud", UriKind.Relative),
        Type = "com.dapr.event.sent",
        DataContentType = request.DataContentType,
        Data = asBase64 ? request.Data.ToByteArray() : JsonDocument.Parse(request.Data.Memory).RootElement,
    };

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        await _stop.CancelAsync();
        _deliveries.Writer.TryComplete();
        await _delivering.ContinueWith(_ => { }, TaskScheduler.Default);
        await _app.DisposeAsync();
        _stop.Dispose();
    }
}
