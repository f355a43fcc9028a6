using System.Net;
using System.Net.Sockets;
using Polyglot.Deploy;

namespace Polyglot.Deploy.Tests;

/// <summary>The Compose file, checked by docker-compose itself (offline: `config -q` needs no engine).</summary>
public sealed class ComposeTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    [Fact]
    public async Task DockerComposeAcceptsTheFileWithItsEnvFile()
    {
        var (exitCode, output) = await Programs.RunAsync("docker-compose", "-f", Path.Combine(fixture.Output, "docker-compose.yaml"), "config", "-q");

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task DockerComposeRejectsABrokenFileSoTheCheckCanFail()
    {
        var broken = Path.Combine(fixture.Output, "broken-compose.yaml");
        await File.WriteAllTextAsync(broken, fixture.Read("docker-compose.yaml").Replace("condition: service_healthy", "condition: whenever"));

        var (exitCode, _) = await Programs.RunAsync("docker-compose", "-f", broken, "config", "-q");

        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public void TheServicesHaveAsLongToStopAsInKubernetesNotComposesTenSeconds()
    {
        var grace = Sizing.StopGraceSeconds(fixture.Model.Resources[AppModelNames.Realtime]);
        Assert.True(grace >= 30, $"{grace} s: .NET's shutdown timeout is 30 s");
        var compose = fixture.Read("docker-compose.yaml");

        Assert.Equal(2, compose.Split($"stop_grace_period: {grace}s").Length - 1); // crud and realtime
        Assert.All(["crud", "realtime"], workload => Assert.Contains($"terminationGracePeriodSeconds: {grace + 5}\n", fixture.Read($"kubernetes/{workload}.yaml"))); // and 5 s of preStop
    }

    [Fact]
    public async Task ServicesWaitForHealthyBackingServersAndResolveTheirPasswordsFromEnv()
    {
        var (exitCode, resolved) = await Programs.RunAsync("docker-compose", "-f", Path.Combine(fixture.Output, "docker-compose.yaml"), "config");

        Assert.Equal(0, exitCode);
        Assert.Contains($"amqp://guest:{DeployFixture.BusPassword}@bus:5672", resolved);
        var compose = fixture.Read("docker-compose.yaml");
        Assert.Contains("${BUS_PASSWORD_URI_ENCODED}", compose);
        Assert.Equal(3, compose.Split("condition: service_healthy").Length - 1); // crud → bus, db-server; realtime → bus
        Assert.Contains("healthcheck:", compose);
    }

    [Fact]
    public void TheBrokerKeepsItsHostNameSoARecreatedContainerFindsItsQueuesInTheVolume()
    {
        var (file, _) = ComposeBuilder.Build(fixture.Model, fixture.Options);

        var bus = file.Services[AppModelNames.Bus];
        Assert.Contains(bus.Volumes!, v => v.EndsWith(":/var/lib/rabbitmq", StringComparison.Ordinal));
        Assert.Equal(AppModelNames.Bus, bus.Hostname);
    }

    /// <summary>
    /// crud's health check, run by bash as Compose runs it, against a server answering as /health
    /// does: a 200 (Healthy, or Degraded through a broker outage) is healthy, a 503 is not.
    /// </summary>
    [Theory]
    [InlineData("200 OK", "Healthy", true)]
    [InlineData("200 OK", "Degraded", true)]
    [InlineData("503 Service Unavailable", "Unhealthy", false)]
    public async Task AServicesHealthCheckPassesOnA200EvenDegradedAndFailsOnA503(string status, string body, bool healthy)
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var answering = Task.Run(async () =>
        {
            using var client = await server.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte[1024];
            await stream.ReadAtLeastAsync(request, 4, throwOnEndOfStream: false);
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
        });
        var (file, _) = ComposeBuilder.Build(fixture.Model, fixture.Options);
        var test = file.Services[AppModelNames.Crud].Healthcheck!.Test;
        Assert.Equal(["CMD", "bash", "-c"], test.Take(3));
        var command = test[3].Replace("/127.0.0.1/5100 ", $"/127.0.0.1/{((IPEndPoint)server.LocalEndpoint).Port} ", StringComparison.Ordinal);
        Assert.NotEqual(test[3], command);

        var (exitCode, output) = await Programs.RunAsync("bash", "-c", command);
        await answering.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(healthy == (exitCode == 0), $"exit {exitCode}: {output}");
    }
}
