using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polyglot.Contracts.Settings;
using Polyglot.LocalServers;

namespace Polyglot.AppHost.Provisioning;

/// <summary>How a backing server (RabbitMQ, PostgreSQL) comes to exist. Set with Polyglot:Bus:Mode / Polyglot:Database:Mode.</summary>
public enum ProvisioningMode
{
    /// <summary>External when ConnectionStrings:{name} is set, else a container when the runtime is healthy, else a local executable.</summary>
    Auto,
    Container,
    Executable,
    External,
}

public static class ProvisioningExtensions
{
    /// <summary>RabbitMQ, as a container, a private local node (Debian's rabbitmq-server) or an external broker.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddBus(this IDistributedApplicationBuilder builder, string name)
    {
        var section = builder.Configuration.GetSection(AppHostSettings.Bus);
        switch (builder.ChooseMode(name, section, LocalRabbitMQ.IsInstalled, "RabbitMQ", "sudo apt-get install -y rabbitmq-server"))
        {
            case ProvisioningMode.Container:
                return builder.AddRabbitMQ(name).WithDataVolume();
            case ProvisioningMode.External:
                return builder.AddConnectionString(name);
        }

        var port = section.GetValue("Port", 5680);
        var node = new LocalRabbitMQ(Path.Combine(builder.DataDirectory(), $"rabbitmq-{port}"), port);
        node.Prepare();
        var bus = builder.AddResource(new LocalServerResource(name, LocalRabbitMQ.ServerPath, node.DataDirectory, node.ConnectionString))
            .WithHealthCheck(builder.AddHealthCheck(name, new AmqpHealthCheck(node.ConnectionString)));
        foreach (var (variable, value) in node.Environment)
        {
            bus.WithEnvironment(variable, value);
        }
        return bus;
    }

    /// <summary>
    /// Gives crud its database: with Polyglot:Database:Provider=Sqlite (the default) a file crud
    /// opens itself; with Postgres, the PostgreSQL resource <paramref name="name"/> as a container,
    /// a private local cluster or an external server.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBoardsDatabase(this IResourceBuilder<ProjectResource> crud, string name)
    {
        var builder = crud.ApplicationBuilder;
        var section = builder.Configuration.GetSection(AppHostSettings.Database);
        var provider = EnumSetting.Read(AppHostSettings.DatabaseProvider, builder.Configuration[AppHostSettings.DatabaseProvider], DatabaseProvider.Sqlite);
        crud.WithEnvironment(AppModelNames.DatabaseProviderVariable, provider.ToString());
        if (provider == DatabaseProvider.Sqlite)
        {
            return crud.WithEnvironment($"ConnectionStrings__{name}", $"Data Source={Path.Combine(builder.DataDirectory(), "crud.db")}");
        }
        var database = builder.ProvidePostgres(name, section);
        return crud.WithReference(database).WaitFor(database);
    }

    private static IResourceBuilder<IResourceWithConnectionString> ProvidePostgres(this IDistributedApplicationBuilder builder, string name, IConfigurationSection section)
    {
        switch (builder.ChooseMode(name, section, LocalPostgres.IsInstalled, "PostgreSQL", "sudo apt-get install -y postgresql"))
        {
            case ProvisioningMode.Container:
                return builder.AddPostgres($"{name}-server").WithDataVolume().AddDatabase(name, LocalPostgres.Database);
            case ProvisioningMode.External:
                return builder.AddConnectionString(name);
        }

        var port = section.GetValue("Port", 5440);
        var cluster = new LocalPostgres(Path.Combine(builder.DataDirectory(), $"postgres-{port}"), port);
        cluster.Prepare();
        var (command, args) = cluster.ServerCommand;
        // The health check asks the maintenance database: crud creates its own on first start.
        var maintenance = cluster.ConnectionString.Replace($"Database={LocalPostgres.Database}", "Database=postgres");
        return builder.AddResource(new LocalServerResource(name, command, cluster.DataDirectory, cluster.ConnectionString))
            .WithArgs(args)
            .WithHealthCheck(builder.AddHealthCheck(name, new NpgsqlReadyCheck(maintenance)));
    }

    /// <summary>Where local servers and the SQLite file keep their data (Polyglot:DataDirectory; default .data next to the app host).</summary>
    private static string DataDirectory(this IDistributedApplicationBuilder builder)
    {
        var directory = builder.Configuration[AppHostSettings.DataDirectory] ?? Path.Combine(builder.AppHostDirectory, ".data");
        Directory.CreateDirectory(directory);
        return Path.GetFullPath(directory);
    }

    private static string AddHealthCheck(this IDistributedApplicationBuilder builder, string name, IHealthCheck check)
    {
        var key = $"{name}_ready";
        // Bounded: a server still starting can take the connection and then say nothing.
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, check, failureStatus: null, tags: null, timeout: TimeSpan.FromSeconds(5)));
        return key;
    }

    private static ProvisioningMode ChooseMode(
        this IDistributedApplicationBuilder builder, string name, IConfigurationSection section, bool installed, string server, string install)
    {
        var mode = EnumSetting.Read($"{section.Path}:{AppHostSettings.Mode}", section[AppHostSettings.Mode], ProvisioningMode.Auto);
        var external = builder.Configuration.GetConnectionString(name) is not null;
        if (builder.ExecutionContext.IsPublishMode)
        {
            // Manifests describe what to deploy: a container unless an external server was named.
            return mode == ProvisioningMode.External || (mode == ProvisioningMode.Auto && external)
                ? ProvisioningMode.External
                : ProvisioningMode.Container;
        }

        var fix = $"start a container runtime (Docker or Podman), or install {server} ({install}), "
            + $"or name an external server with --ConnectionStrings:{name}=...";
        return mode switch
        {
            ProvisioningMode.Auto when external => ProvisioningMode.External,
            ProvisioningMode.Auto when ContainerRuntime.IsHealthy(builder.Configuration) => ProvisioningMode.Container,
            ProvisioningMode.Auto when installed => ProvisioningMode.Executable,
            ProvisioningMode.Auto => throw new DistributedApplicationException(
                $"Cannot provide {server} for '{name}': no container runtime answers, {server} is not installed here, and ConnectionStrings:{name} is not set. To fix it, {fix}."),
            ProvisioningMode.External when !external => throw new DistributedApplicationException(
                $"{server} mode External needs ConnectionStrings:{name} (for example --ConnectionStrings:{name}=...)."),
            ProvisioningMode.Executable when !installed => throw new DistributedApplicationException(
                $"{server} mode Executable needs {server} installed here: {install}."),
            ProvisioningMode.Container when !ContainerRuntime.IsHealthy(builder.Configuration) => throw new DistributedApplicationException(
                $"{server} mode Container needs a running container runtime; 'docker info' does not answer. To fix it, {fix}."),
            _ => mode,
        };
    }
}
