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
}
