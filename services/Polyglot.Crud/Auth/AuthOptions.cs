namespace Polyglot.Crud.Auth;

/// <summary>
/// crud's token server. Keys and client secrets come from configuration only (the app host's
/// parameters, a Secret in the manifests), never from the source.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// The issuer (<c>iss</c>) tokens carry and that services check (crud's own API too, when set):
    /// usually crud's HTTP address, e.g. <c>http://crud:5100/</c>, as the app host and the manifests
    /// set it. Unset: the address the token was asked at.
    /// </summary>
    public Uri? Issuer { get; set; }

    /// <summary>
    /// A random secret (32 characters or more) from which crud derives the ECDSA P-256 key that
    /// signs tokens; the public half is published at <c>/.well-known/jwks</c>. Every replica needs
    /// the same one. Unset: in Development a key made at start (its tokens die with the process),
    /// elsewhere crud refuses to start.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// The signing secret being rotated out: its key is still published and taken, so tokens it
    /// signed stay good until they expire, while crud signs with <see cref="SigningKey"/> only. To
    /// rotate, move the old secret here and give <see cref="SigningKey"/> a new one; remove this
    /// one <see cref="AccessTokenLifetime"/> later.
    /// </summary>
    public string? PreviousSigningKey { get; set; }

    /// <summary>
    /// The same for the AES-256 key that encrypts what only crud reads back (authorization codes,
    /// refresh tokens).
    /// </summary>
    public string? EncryptionKey { get; set; }

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Services that sign in with their own credentials (client credentials).</summary>
    [ValidateEnumeratedItems]
    public List<ServiceClient> Clients { get; set; } = [];

    /// <summary>
    /// People who sign in, created at start when missing and given the configured password: the
    /// development user, or a deployment's accounts. Anyone else is disabled at start.
    /// </summary>
    [ValidateEnumeratedItems]
    public List<ConfiguredUser> Users { get; set; } = [];

    /// <summary>
    /// Where the live page may receive its authorization code (the public client
    /// <see cref="Contracts.Auth.KnownClients.LivePage"/>, authorization code with PKCE): the page's own URLs.
    /// </summary>
    public List<Uri> LivePageRedirectUris { get; set; } = [];
}

public sealed class ConfiguredUser
{
    [Required]
    public string Name { get; set; } = "";

    [Required, MinLength(Contracts.Auth.SecretLengths.Password)]
    public string Password { get; set; } = "";
}

public sealed class ServiceClient
{
    [Required]
    public string Id { get; set; } = "";

    [Required, MinLength(Contracts.Auth.SecretLengths.ClientSecret)]
    public string Secret { get; set; } = "";

    /// <summary>What it may ask for, of <see cref="Contracts.Auth.ApiScopes.All"/>.</summary>
    [MinLength(1)]
    public List<string> Scopes { get; set; } = [];
}

[OptionsValidator]
public sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;
