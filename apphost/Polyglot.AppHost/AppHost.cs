using Microsoft.Extensions.Configuration;
using Polyglot.AppHost.Provisioning;

var builder = DistributedApplication.CreateBuilder(args);

// RabbitMQ, and PostgreSQL when chosen, come as a container, a private local executable or an
// external server, whichever this machine can serve (Provisioning/ and the README's "Modes").
var bus = builder.AddBus("bus");
var db = builder.AddDatabase("db");

var crud = builder.AddProject<Projects.Polyglot_Crud>("crud")
    .WithReference(bus).WaitFor(bus)
    .WithDatabase(db)
    .WithHttpHealthCheck("/health");

// realtime reads crud's event log to backfill resuming subscribers, but does not wait for it:
// live streams keep working while the monolith is down.
builder.AddProject<Projects.Polyglot_Realtime>("realtime")
    .WithReference(bus).WaitFor(bus)
    .WithReference(crud)
    // Each replica binds a queue of its own, so every replica sees every event.
    .WithReplicas(builder.Configuration.GetValue("Polyglot:Realtime:Replicas", 1))
    .WithHttpHealthCheck("/health");

builder.Build().Run();
