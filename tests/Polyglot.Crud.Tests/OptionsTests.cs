using Polyglot.Crud.Outbox;

namespace Polyglot.Crud.Tests;

/// <summary>The generated validators still hold the annotated limits (they replaced reflection-based validation).</summary>
public sealed class OptionsTests
{
    [Fact]
    public void OutboxSettingsOutsideTheirRangesAreRefusedAndTheDefaultsAccepted()
    {
        var validator = new OutboxOptionsValidator();

        Assert.True(validator.Validate(null, new OutboxOptions()).Succeeded);
        var refused = validator.Validate(null, new OutboxOptions { BatchSize = 0, Retention = TimeSpan.Zero });
        Assert.True(refused.Failed);
        Assert.Contains(nameof(OutboxOptions.BatchSize), refused.FailureMessage);
        Assert.Contains(nameof(OutboxOptions.Retention), refused.FailureMessage);
    }
}
