using Polyglot.Realtime.Extensions;
using Polyglot.Realtime.Sse;
using Polyglot.Realtime.WebSockets;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapGrpcServices();
app.MapWebSocketTransport();
app.MapSseTransport();
app.MapDefaultEndpoints();

app.Run();
