using Polyglot.Crud.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateDatabaseAsync();

app.MapGrpcServices();
await app.MapStreamingIfMonolithAsync();
app.MapDefaultEndpoints();

app.Run();
