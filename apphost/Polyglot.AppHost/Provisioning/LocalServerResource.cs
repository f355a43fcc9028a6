namespace Polyglot.AppHost.Provisioning;

/// <summary>A server run as a local executable (RabbitMQ, PostgreSQL) that others reference by connection string.</summary>
public sealed class LocalServerResource(string name, string command, string workingDirectory, string connectionString)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression { get; } = ReferenceExpression.Create($"{connectionString}");
}
