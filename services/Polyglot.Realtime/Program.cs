using Polyglot.Realtime.Extensions;
using Polyglot.Realtime.Sse;
using Polyglot.Realtime.WebSockets;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseDefaultFiles();
app.UseStaticFiles(); // the live page, wwwroot/index.html
app.MapGrpcServices();
app.MapWebSocketTransport();
app.MapSseTransport();
app.MapDefaultEndpoints();

app.Run();
