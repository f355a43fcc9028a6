namespace Polyglot.Bench;

public static class Pace
{
    /// <summary>
    /// Starts operations open-loop at <paramref name="rate"/> a second — the i-th at i/rate seconds,
    /// however long the earlier ones take, so a slow one does not push the schedule back — until
    /// <paramref name="count"/> have started or <paramref name="ct"/> is cancelled; then waits for
    /// all it started.
    /// </summary>
    public static async Task AtRateAsync(int count, int rate, Func<int, Task> start, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var pending = new List<Task>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, ct);
                }
                pending.Add(start(i));
            }
        }
        finally
        {
            await Task.WhenAll(pending);
        }
    }
}
