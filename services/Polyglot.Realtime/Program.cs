using Polyglot.Realtime.Extensions;
using Polyglot.Streaming;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStreaming();
builder.AddApplicationServices();

var app = builder.Build();

app.MapStreaming();
app.MapApplicationEndpoints();
app.MapDefaultEndpoints();

app.Run();
