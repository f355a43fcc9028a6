using Polyglot.Realtime.Backfill;
using Polyglot.Realtime.Bus;
using Polyglot.Realtime.Presence;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The generated validators still hold the annotated limits (they replaced reflection-based
/// validation), a bus connection string is an AMQP URI, and every setting is on docs/settings.md.
/// </summary>
public sealed class OptionsTests
{
    [Fact]
    public void HubSettingsOutsideTheirRangesAreRefusedAndTheDefaultsAccepted()
    {
        var validator = new HubOptionsValidator();

        Assert.True(validator.Validate(null, new HubOptions()).Succeeded);
        var refused = validator.Validate(null, new HubOptions { SubscriberQueueCapacity = 0, HistoryMaxAge = TimeSpan.Zero });
        Assert.True(refused.Failed);
        Assert.Contains(nameof(HubOptions.SubscriberQueueCapacity), refused.FailureMessage);
        Assert.Contains(nameof(HubOptions.HistoryMaxAge), refused.FailureMessage);
    }

    [Fact]
    public void RealtimeWithoutAClientForCrudsEventLogIsRefusedNamingTheSettings()
    {
        var refused = new CrudOptionsValidator().Validate(null, new CrudOptions());

        Assert.True(refused.Failed);
        Assert.Contains(nameof(CrudOptions.ClientId), refused.FailureMessage);
        Assert.Contains(nameof(CrudOptions.ClientSecret), refused.FailureMessage);
        Assert.True(new CrudOptionsValidator().Validate(null, new CrudOptions { ClientId = "realtime", ClientSecret = "its secret" }).Succeeded);
    }

    [Theory]
    [InlineData("rabbit.internal:5672")]
    [InlineData("http://realtime:s3cret@rabbit.internal:5672/")]
    public void RealtimeGivenABusConnectionStringThatIsNoAmqpUriDoesNotStartNamingItAndNotItsSecret(string value)
    {
        var crud = new Uri("http://127.0.0.1:1");
        var refused = Assert.ThrowsAny<Exception>(() => new ServiceHost<IntegrationEventConsumer>(new Dictionary<string, string?>(LocalAuth.Shared.RealtimeSettings(crud, crud, ":")!)
        {
            ["ConnectionStrings:bus"] = value,
        }));

        Assert.Equal($"ConnectionStrings:bus is not {BrokerAddress.Form}.", refused.Message);
        Assert.DoesNotContain("s3cret", refused.ToString());
    }

    [Fact]
    public void PresenceThatWouldForgetALiveReplicaBetweenItsAnnouncementsIsRefused()
    {
        var validator = new PresenceOptionsValidator();

        Assert.True(validator.Validate(null, new PresenceOptions()).Succeeded);
        // Each in range, but a replica announcing every 10 s would be taken for dead after 5.
        var refused = validator.Validate(null, new PresenceOptions { Interval = TimeSpan.FromSeconds(10), ExpireAfter = TimeSpan.FromSeconds(5) });
        Assert.True(refused.Failed);
        Assert.Contains($"{nameof(PresenceOptions.ExpireAfter)} (00:00:05) must be at least twice {nameof(PresenceOptions.Interval)} (00:00:10)", refused.FailureMessage);
    }

    [Theory]
    [InlineData(typeof(CrudOptions), CrudOptions.Section)]
    [InlineData(typeof(HubOptions), HubOptions.Section)]
    [InlineData(typeof(BusOptions), BusOptions.Section)]
    [InlineData(typeof(PresenceOptions), PresenceOptions.Section)]
    public void EverySettingIsOnTheSettingsPage(Type options, string section) => Assert.Empty(SettingsPage.Undocumented(options, section));
}
