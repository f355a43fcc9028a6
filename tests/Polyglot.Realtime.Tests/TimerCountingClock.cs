using Microsoft.Extensions.Time.Testing;

namespace Polyglot.Realtime.Tests;

/// <summary>A fake clock that counts the timers made on it (a hub's write delay is one, a periodic timer another).</summary>
internal sealed class TimerCountingClock : FakeTimeProvider
{
    private int _timers;

    public int Timers => Volatile.Read(ref _timers);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Counted once made: a test that advances the clock on seeing the count must not
        // advance it before the timer is there to fire.
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }
}
