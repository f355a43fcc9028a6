using System.Diagnostics;

namespace Polyglot.Crud;

internal static class Telemetry
{
    public static readonly ActivitySource Source = new("Polyglot.Crud");
}
