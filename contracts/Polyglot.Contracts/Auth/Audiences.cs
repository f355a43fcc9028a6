namespace Polyglot.Contracts.Auth;

/// <summary>The APIs an access token can be meant for; each accepts only tokens naming it.</summary>
public static class Audiences
{
    public const string Crud = "polyglot-crud";
    public const string Realtime = "polyglot-realtime";
}
