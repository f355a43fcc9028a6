using Polyglot.AppHost.Provisioning;

var builder = DistributedApplication.CreateBuilder(args);

// RabbitMQ, and PostgreSQL when chosen, come as a container, a private local executable or an
// external server, whichever this machine can serve (Provisioning/ and the README's "Modes").
var bus = builder.AddBus("bus");
var db = builder.AddDatabase("db");

builder.AddProject<Projects.Polyglot_Crud>("crud")
    .WithReference(bus).WaitFor(bus)
    .WithDatabase(db)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Polyglot_Realtime>("realtime")
    .WithReference(bus).WaitFor(bus)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
