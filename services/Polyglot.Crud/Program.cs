using Polyglot.Crud.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

await app.MigrateDatabaseAsync();

app.MapGrpcServices();
app.MapDefaultEndpoints();

app.Run();

/// <summary>Entry point; public so tests can host the service with WebApplicationFactory-style hosting.</summary>
public partial class Program;
