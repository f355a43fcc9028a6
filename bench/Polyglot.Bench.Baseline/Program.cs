using Grpc.Core;
using Polyglot.Contracts.Realtime.V1;
using Polyglot.Streaming;
using Polyglot.Streaming.Diagnostics;

// What an idle gRPC stream costs on bare Kestrel and Grpc.AspNetCore: realtime's Subscribe
// with its stream shape (the subscribed message, then nothing until the client leaves), and
// none of realtime's hub, telemetry or health checks. `hold --baseline` measures it beside realtime.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddGrpc();
builder.Services.AddLongLivedStreamLimits(builder.Configuration);

var app = builder.Build();
app.MapGrpcService<BareRealtime>();
app.MapGet("/alive", () => "alive");
app.MapStats(_ => (BareRealtime.Held, 0));
app.Run();

internal sealed class BareRealtime : Realtime.RealtimeBase
{
    private static int _held;

    public static int Held => Volatile.Read(ref _held);

    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        Interlocked.Increment(ref _held);
        try
        {
            await responseStream.WriteAsync(new SubscribeResponse { Subscribed = new Subscribed { Channel = request.Channel } });
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
    }
}
