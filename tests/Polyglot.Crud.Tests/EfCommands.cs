using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Polyglot.Crud.Tests;

/// <summary>
/// A hook into crud's database commands, through EF Core's diagnostics: what a race test uses to
/// land a change at one exact moment of a request. EF Core looks again for listeners only now and
/// then, so a test repeats its request until the hook has run.
/// </summary>
public static class EfCommands
{
    /// <summary>Calls <paramref name="executed"/>, on crud's thread, once each EF Core command has run; until disposed.</summary>
    public static IDisposable Executed(Action<DbCommand> executed)
    {
        var subscriptions = new CompositeSubscription();
        subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(new Observer<DiagnosticListener>(listener =>
        {
            if (listener.Name == DbLoggerCategory.Name)
            {
                subscriptions.Add(listener.Subscribe(new Observer<KeyValuePair<string, object?>>(e =>
                {
                    if (e.Key == RelationalEventId.CommandExecuted.Name && e.Value is CommandExecutedEventData data)
                    {
                        executed(data.Command);
                    }
                })));
            }
        })));
        return subscriptions;
    }

    private sealed class CompositeSubscription : IDisposable
    {
        private readonly List<IDisposable> _subscriptions = [];

        public void Add(IDisposable subscription)
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(subscription);
            }
        }

        public void Dispose()
        {
            lock (_subscriptions)
            {
                _subscriptions.ForEach(s => s.Dispose());
            }
        }
    }

    private sealed class Observer<T>(Action<T> onNext) : IObserver<T>
    {
        public void OnNext(T value) => onNext(value);

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
