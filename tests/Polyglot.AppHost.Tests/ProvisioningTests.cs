using Aspire.Hosting;

namespace Polyglot.AppHost.Tests;

/// <summary>When the bus cannot be provided the app host refuses to start, saying how to fix it, instead of waiting forever.</summary>
public sealed class ProvisioningTests
{
    [Fact]
    public async Task AnExternalBusWithoutAConnectionStringFailsAtOnceSayingWhatToSet()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>(["--Polyglot:Bus:Mode=External"]);
            await using var app = await builder.BuildAsync();
        });

        var message = Flatten(error);
        Assert.Contains("ConnectionStrings:bus", message);
    }

    [Fact]
    public async Task AnUnknownModeIsRejected()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Polyglot_AppHost>(["--Polyglot:Bus:Mode=Carrier-pigeon"]);
            await using var app = await builder.BuildAsync();
        });

        Assert.Contains("Carrier-pigeon", Flatten(error));
    }

    private static string Flatten(Exception error) =>
        string.Join(" | ", Enumerable.Repeat(error, 1).Concat(error is AggregateException a ? a.Flatten().InnerExceptions : [])
            .SelectMany(e => new[] { e, e.InnerException }).OfType<Exception>().Select(e => $"{e.GetType().Name}: {e.Message}"));
}
