using Polyglot.Realtime.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapGrpcServices();
app.MapDefaultEndpoints();

app.Run();
