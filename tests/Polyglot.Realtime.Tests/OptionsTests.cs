using Polyglot.Realtime.Bus;
using Polyglot.Realtime.Presence;
using Polyglot.Streaming.Hub;

namespace Polyglot.Realtime.Tests;

/// <summary>
/// The generated validators still hold the annotated limits (they replaced reflection-based
/// validation), and every setting is on docs/settings.md.
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

    [Theory]
    [InlineData(typeof(HubOptions), HubOptions.Section)]
    [InlineData(typeof(BusOptions), BusOptions.Section)]
    [InlineData(typeof(PresenceOptions), PresenceOptions.Section)]
    public void EverySettingIsOnTheSettingsPage(Type options, string section) => Assert.Empty(SettingsPage.Undocumented(options, section));
}
