using Polyglot.AppHost;
using Polyglot.AppHost.Provisioning;
using Polyglot.Contracts.Auth;
using Polyglot.Contracts.Settings;

var builder = DistributedApplication.CreateBuilder(args);

// Split (the default): crud, RabbitMQ and realtime. Monolith: crud alone, streaming from the hub
// it hosts. The database (SQLite, or PostgreSQL when chosen) and the bus come as a container, a
// private local executable or an external server, whichever this machine can serve (Provisioning/).
var topology = builder.Topology();

// Plain HTTP/1.1 and h2c by design (TLS is the ingress's job): no development certificate, and
// so no dashboard warning that none is trusted.
var crud = builder.AddProject<Projects.Polyglot_Crud>(AppModelNames.Crud)
    .WithoutHttpsCertificate()
    .WithEnvironment(AppModelNames.TopologySetting, topology.ToString())
    .WithBoardsDatabase(AppModelNames.Database)
    .WithHttpHealthCheck(AppModelNames.HealthPath)
    // The dashboard links to what a newcomer opens first: the REST API's reference, and the live
    // page wherever the streaming side runs.
    .WithUrlForEndpoint("http", endpoint => new ResourceUrlAnnotation { Url = $"{endpoint.Url}/scalar", DisplayText = "REST API (Scalar)" });
if (topology == Topology.Monolith)
{
    crud.WithUrlForEndpoint("http", url => url.DisplayText = "Live page");
    LivePageAt(crud);
}

// The token server's keys are derived from secrets: generated for each run here, and for each
// deployment by the deploy generator (a Secret), or given as parameters.
// The issuer is crud's HTTP address, where its token endpoint and keys are: one name for the
// tokens whichever of crud's addresses (HTTP or gRPC) they are shown at.
crud.WithEnvironment("Auth__SigningKey", Secret(AppModelNames.AuthSigningKey))
    // Rotating the signing key (docs/deploy.md): the one rotated out, still published; none unless given.
    .WithEnvironment("Auth__PreviousSigningKey", builder.AddParameter(AppModelNames.AuthPreviousSigningKey, new NoneByDefault(), secret: true))
    .WithEnvironment("Auth__EncryptionKey", Secret(AppModelNames.AuthEncryptionKey))
    .WithEnvironment("Auth__Issuer", crud.GetEndpoint("http"));
// A user to sign in as and a service client to get tokens with, their secrets among the
// dashboard's parameters (docs/api.md), or a deployment's Secrets (docs/deploy.md): without
// them a deployment would answer every call 401.
var accounts = builder.ExecutionContext.IsRunMode ? FirstAccounts.Local : FirstAccounts.Deployed;
crud.WithEnvironment("Auth__Users__0__Name", accounts.UserName)
    .WithEnvironment("Auth__Users__0__Password", Secret(accounts.PasswordParameter))
    .WithEnvironment("Auth__Clients__0__Id", accounts.ClientId)
    .WithEnvironment("Auth__Clients__0__Secret", Secret(accounts.ClientSecretParameter));
foreach (var (scope, index) in ApiScopes.All.Select((scope, index) => (scope, index)))
{
    crud.WithEnvironment($"Auth__Clients__0__Scopes__{index}", scope);
}

var busKind = builder.BusKind(topology);
if (topology == Topology.Split)
{
    var bus = builder.AddBus(AppModelNames.Bus);
    ConnectToBus(crud);

    // realtime reads crud's event log to backfill resuming subscribers, but does not wait for it:
    // live streams keep working while the monolith is down.
    // realtime reads crud's event log and board membership as a service client of its own
    // (events.all), its secret a generated parameter (a Secret in the manifests); it checks
    // subscribers' tokens with crud's published keys, naming crud's issuer.
    var realtimeSecret = Secret(AppModelNames.RealtimeClientSecret);
    crud.WithEnvironment("Auth__Clients__realtime__Id", KnownClients.Realtime)
        .WithEnvironment("Auth__Clients__realtime__Secret", realtimeSecret)
        .WithEnvironment("Auth__Clients__realtime__Scopes__0", ApiScopes.AllEvents);
    var realtime = builder.AddProject<Projects.Polyglot_Realtime>(AppModelNames.Realtime)
        .WithoutHttpsCertificate()
        .WithReference(crud)
        .WithEnvironment("Crud__ClientId", KnownClients.Realtime)
        .WithEnvironment("Crud__ClientSecret", realtimeSecret)
        .WithEnvironment("Auth__Issuer", crud.GetEndpoint("http"))
        // Each replica binds a queue of its own, so every replica sees every event.
        .WithReplicas(builder.Configuration.GetValue(AppHostSettings.RealtimeReplicas, 1))
        .WithHttpHealthCheck(AppModelNames.HealthPath)
        .WithUrlForEndpoint("http", url => url.DisplayText = "Live page");
    ConnectToBus(realtime);
    LivePageAt(realtime);
    if (busKind == BusKind.Dapr)
    {
        // realtime takes events only from its sidecar, which proves itself with this token; the
        // sidecars take calls only with theirs, and crud is the one that calls (to publish).
        realtime.WithEnvironment(AppModelNames.DaprAppTokenVariable, Secret(AppModelNames.DaprAppToken));
        crud.WithEnvironment(AppModelNames.DaprApiTokenVariable, Secret(AppModelNames.DaprApiToken));
    }

    // With Dapr the services talk to their sidecars (written by the deploy generator), and only
    // the sidecars to RabbitMQ.
    void ConnectToBus(IResourceBuilder<ProjectResource> service)
    {
        if (busKind == BusKind.Dapr)
        {
            service.WithEnvironment(AppModelNames.BusKindVariable, busKind.ToString());
        }
        else
        {
            service.WithReference(bus).WaitFor(bus);
        }
    }
}

builder.ThrowIfFixedPortsTaken();
builder.Build().Run();

// In a local run the live page signs people in at crud as the browser reaches it, and crud sends
// them back to the page wherever it is served. A deployment sets both to its public addresses
// (docs/deploy.md): the manifests' addresses are the cluster's own.
void LivePageAt(IResourceBuilder<ProjectResource> host)
{
    if (builder.ExecutionContext.IsRunMode)
    {
        crud.WithEnvironment("Auth__LivePageRedirectUris__0", ReferenceExpression.Create($"{host.GetEndpoint("http")}/"));
        if (host != crud)
        {
            host.WithEnvironment("Auth__Authority", crud.GetEndpoint("http"));
        }
    }
}

IResourceBuilder<ParameterResource> Secret(string name) =>
    builder.AddParameter(name, new GenerateParameterDefault { MinLength = 43, Special = false }, secret: true);
