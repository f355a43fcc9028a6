using System.Security.Cryptography;

namespace Polyglot.Crud.Tests;

/// <summary>
/// crud with keys of its own, two service clients (one for boards and all events, one for events
/// only), two users, and the live page's client redirecting to <see cref="LivePage"/>.
/// </summary>
public sealed class TokenServerFixture : SqliteCrudFixture
{
    public const string Service = "test-service";
    public const string Reader = "test-reader";

    public string SigningKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    public const string UserName = "ann";

    /// <summary>A second user, with ann's password, that a test locks out.</summary>
    public const string LockedOutUserName = "lee";

    /// <summary>Where the live page's client is sent back to; no server answers there (the browser test intercepts it).</summary>
    public static readonly Uri LivePage = new("http://live-page.test/signed-in");

    public string UserPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));

    public string ServiceSecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public string ReaderSecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Auth:SigningKey", SigningKey),
        new("Auth:EncryptionKey", Convert.ToHexString(RandomNumberGenerator.GetBytes(24))),
        new("Auth:AccessTokenLifetime", "00:10:00"),
        new("Auth:Clients:0:Id", Service),
        new("Auth:Clients:0:Secret", ServiceSecret),
        new("Auth:Clients:0:Scopes:0", ApiScopes.Boards),
        new("Auth:Clients:0:Scopes:1", ApiScopes.AllEvents),
        new("Auth:Clients:1:Id", Reader),
        new("Auth:Clients:1:Secret", ReaderSecret),
        new("Auth:Clients:1:Scopes:0", ApiScopes.Events),
        new("Auth:Users:0:Name", UserName),
        new("Auth:Users:0:Password", UserPassword),
        new("Auth:Users:1:Name", LockedOutUserName),
        new("Auth:Users:1:Password", UserPassword),
        new("Auth:LivePageRedirectUris:0", LivePage.ToString()),
    ];
}
