using Xunit;

namespace Polyglot.Testing;

public static class TestTimeout
{
    /// <summary>
    /// Cancelled after <paramref name="timeout"/>, or as soon as xUnit cancels the running test
    /// (a run stopped, a test's own timeout): every wait a test makes goes through one of these.
    /// </summary>
    public static CancellationTokenSource After(TimeSpan timeout)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(timeout);
        return source;
    }
}
