using Polyglot.Realtime.Diagnostics;
using Polyglot.Realtime.Extensions;
using Polyglot.Realtime.Hub;
using Polyglot.Realtime.Sse;
using Polyglot.Realtime.WebSockets;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

// On SIGTERM, end every stream with "reconnect elsewhere" before Kestrel waits for requests to finish.
app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<ChannelHub>().Drain);

app.UseDefaultFiles();
app.UseStaticFiles(); // the live page, wwwroot/index.html
app.MapGrpcServices();
app.MapWebSocketTransport();
app.MapSseTransport();
app.MapStats();
app.MapDefaultEndpoints();

app.Run();
