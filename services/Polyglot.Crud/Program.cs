using Polyglot.Crud.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateDatabaseAsync();

app.MapGrpcServices();
app.MapDefaultEndpoints();

app.Run();
