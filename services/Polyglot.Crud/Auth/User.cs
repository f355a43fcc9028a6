namespace Polyglot.Crud.Auth;

/// <summary>A person who signs in (ASP.NET Core Identity); a token's subject is their id.</summary>
public sealed class User : IdentityUser<Guid>;
