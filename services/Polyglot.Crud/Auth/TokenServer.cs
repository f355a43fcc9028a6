using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Polyglot.Crud.Auth;

/// <summary>
/// crud as the OAuth 2 / OpenID Connect token server (OpenIddict): applications and tokens in
/// crud's database, access tokens as signed JWTs that realtime can check with the published keys.
/// </summary>
internal static class TokenServer
{
    /// <summary>Where the token server (its endpoints, discovery and keys) and the sign-in page answer.</summary>
    private static readonly PathString[] AuthenticatedPaths = ["/connect", "/.well-known", "/account"];

    public static void AddTokenServer(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<AuthOptions, AuthOptionsValidator>(AuthOptions.Section);
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var development = builder.Environment.IsDevelopment();

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<BoardsDbContext>())
            .AddServer(server =>
            {
                server.SetTokenEndpointUris(TokenServerPaths.Token.TrimStart('/'));
                server.SetAuthorizationEndpointUris(TokenServerPaths.Authorize.TrimStart('/'));
                server.SetEndSessionEndpointUris(TokenServerPaths.EndSession.TrimStart('/'));
                server.AllowClientCredentialsFlow();
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.RegisterScopes([.. ApiScopes.All, Scopes.Profile]);
                server.SetAccessTokenLifetime(auth.AccessTokenLifetime);
                // Plain JWTs, so realtime checks them with the published keys and no call to crud.
                server.DisableAccessTokenEncryption();
                if (auth.Issuer is { } issuer)
                {
                    server.SetIssuer(issuer);
                }

                // Without secrets, Development makes keys at start: their tokens die with the process.
                if (Secret(auth.SigningKey, "Auth:SigningKey", development) is { } signing)
                {
                    server.AddSigningKey(SigningKey(signing, "Auth:SigningKey"));
                }
                else
                {
                    server.AddEphemeralSigningKey();
                }
                // Added second, it signs nothing: OpenIddict signs with the first of two keys it
                // ranks equal (neither is symmetric nor a certificate), and publishes both.
                if (auth.PreviousSigningKey is { Length: > 0 } previous)
                {
                    server.AddSigningKey(SigningKey(previous, "Auth:PreviousSigningKey"));
                }
                if (Secret(auth.EncryptionKey, "Auth:EncryptionKey", development) is { } encryption)
                {
                    server.AddEncryptionKey(EncryptionKey(encryption));
                }
                else
                {
                    server.AddEphemeralEncryptionKey();
                }

                server.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    // Polyglot speaks plain HTTP behind whatever terminates TLS (ingress, mesh).
                    .DisableTransportSecurityRequirement();
            });

        builder.Services.AddIdentityCore<User>(identity =>
            {
                // Length is what makes a password strong; character classes only annoy.
                identity.Password.RequiredLength = 12;
                identity.Password.RequireDigit = identity.Password.RequireLowercase = identity.Password.RequireUppercase = identity.Password.RequireNonAlphanumeric = false;
            })
            .AddEntityFrameworkStores<BoardsDbContext>()
            .AddSignInManager();
        builder.Services.AddAuthentication(IdentityConstants.ApplicationScheme)
            .AddIdentityCookies(cookies => cookies.ApplicationCookie!.Configure(cookie => cookie.LoginPath = SignInPage.Path));
        builder.Services.AddAntiforgery();
        // Sign-in cookies and the form's anti-forgery tokens are protected with data protection
        // keys, kept in crud's database so that every replica takes the others' (and a pod
        // restarted, its own), not each in a home directory of its own. Stored unencrypted, as
        // they were on disk: whoever can read the database could forge a sign-in cookie.
        builder.Services.AddDataProtection().SetApplicationName("polyglot-crud").PersistKeysToDbContext<BoardsDbContext>();
        // The live page served by realtime (another origin) exchanges its code here from the browser.
        builder.Services.AddCors(cors => cors.AddPolicy(TokenServerPaths.Token, policy => policy
            .WithOrigins([.. auth.LivePageRedirectUris.Select(uri => uri.GetLeftPart(UriPartial.Authority))])
            .WithMethods(HttpMethods.Post)
            .WithHeaders("Content-Type")));
        builder.Services.AddHostedService<Registrations>();
        // OpenIddict writes whole tokens and codes into its Debug and Trace lines: no setting may bring them back.
        builder.Logging.NeverBelow("OpenIddict", LogLevel.Information);
    }

    public static void MapTokenServer(this WebApplication app)
    {
        // In this order, before OpenIddict answers its endpoints in the authentication middleware:
        // a browser's preflight for the token endpoint is answered by CORS.
        app.UseCors();
        // OpenIddict's server inspects every request the authentication middleware sees, looking
        // for its endpoints: ≈ 35 µs of CPU a call (profiled under GetCard), twice a read from
        // memory. Only its own paths and the sign-in page need the middleware (the API's policies
        // authenticate bearer tokens themselves), so it runs there alone. ASP.NET Core adds it for
        // every request when it was not added at the top, unless this key — the one
        // UseAuthentication sets — says it was.
        app.UseWhen(context => AuthenticatedPaths.Any(context.Request.Path.StartsWithSegments), branch => branch.UseAuthentication());
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
        app.UseAntiforgery();
        app.MapPost(TokenServerPaths.Token, (Delegate)TokenAsync).RequireCors(TokenServerPaths.Token).ExcludeFromDescription();
        app.MapMethods(TokenServerPaths.Authorize, [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync).ExcludeFromDescription();
        app.MapMethods(TokenServerPaths.EndSession, [HttpMethods.Get, HttpMethods.Post], (Delegate)EndSessionAsync).ExcludeFromDescription();
        app.MapSignInPage();
    }

    /// <summary>
    /// The token endpoint, once OpenIddict has checked the client, its secret or PKCE verifier,
    /// the code and the scopes: a service's token names the client as its subject; a code's
    /// token is the principal the code was issued for, unless that person was disabled since.
    /// </summary>
    private static async Task<IResult> TokenAsync(HttpContext context, UserManager<User> users)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsAuthorizationCodeGrantType())
        {
            var code = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (await users.FindByIdAsync(code.Principal!.GetClaim(Claims.Subject)!) is not { } user || Registrations.IsDisabled(user))
            {
                return Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.InvalidGrant,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The user the code was issued to may no longer sign in.",
                }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
            }
            return Results.SignIn(code.Principal!, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        if (!request.IsClientCredentialsGrantType())
        {
            throw new InvalidOperationException($"Grant type {request.GrantType} is not enabled.");
        }
        return SignIn(request.ClientId!, name: null, request.GetScopes());
    }

    /// <summary>
    /// The authorization endpoint: someone not signed in goes to the sign-in page and comes back;
    /// someone signed in gets a code for the scopes asked (first-party clients: no consent screen).
    /// A cookie is taken only while its user's security stamp is the one it was issued with: a
    /// user disabled, or whose password changed, since (each changes the stamp) goes to the
    /// sign-in page. A lockout after wrong passwords does not end a sign-in: anyone knowing the
    /// name could cause one.
    /// </summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext context, SignInManager<User> signIn)
    {
        var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var cookie = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (!cookie.Succeeded || await signIn.ValidateSecurityStampAsync(cookie.Principal) is not { } user)
        {
            var back = context.Request.PathBase + context.Request.Path + QueryString.Create(context.Request.HasFormContentType
                ? context.Request.Form.ToList()
                : context.Request.Query.ToList());
            return Results.Challenge(new AuthenticationProperties { RedirectUri = back }, [IdentityConstants.ApplicationScheme]);
        }
        return SignIn(user.Id.ToString(), user.UserName, request.GetScopes());
    }

    /// <summary>
    /// The end-session endpoint, once OpenIddict has checked that the address to return to is one
    /// of the client's: crud forgets the person (its cookie), so the next sign-in asks for the
    /// password, and sends the browser back there. Someone signed in is asked first, and signed out
    /// only by their answer (a form with an anti-forgery token): any site can send a browser here.
    /// A token already issued lives out its lifetime.
    /// </summary>
    private static async Task<IResult> EndSessionAsync(HttpContext context, IAntiforgery antiforgery)
    {
        // Without the cookie (none, or a browser that does not send it along another site's post)
        // there is no one to forget, and nothing is: forgetting would delete the cookie all the same.
        if ((await context.AuthenticateAsync(IdentityConstants.ApplicationScheme)).Succeeded)
        {
            if (!(HttpMethods.IsPost(context.Request.Method) && await antiforgery.IsRequestValidAsync(context)))
            {
                var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
                return SignInPage.ConfirmSignOut(context, antiforgery,
                    request.GetParameters().Select(p => new KeyValuePair<string, string>(p.Key, (string?)p.Value ?? "")));
            }
            await context.SignOutAsync(IdentityConstants.ApplicationScheme);
        }
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static IResult SignIn(string subject, string? name, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        identity.SetClaim(Claims.Name, name);
        identity.SetScopes(scopes);
        identity.SetResources(scopes.Where(ApiScopes.All.Contains).SelectMany(ApiScopes.AudiencesOf).Distinct());
        identity.SetDestinations(claim => claim.Type == Claims.Name && identity.HasScope(Scopes.Profile)
            ? [Destinations.AccessToken, Destinations.IdentityToken]
            : [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>The configured secret; none is allowed only in Development.</summary>
    private static string? Secret(string? value, string setting, bool development) => value switch
    {
        { Length: > 0 } => value,
        _ when development => null,
        _ => throw new InvalidOperationException($"{setting} is not set: give crud a random secret of {SecretLengths.Key} characters or more (the same to every replica)."),
    };

    /// <summary>
    /// A key derived from a configured secret (HKDF-SHA256, one purpose per key): every replica
    /// given the same secret has the same key, and a secret is what Aspire parameters and
    /// deployment secrets generate and carry.
    /// </summary>
    private static byte[] Derive(string secret, string setting, string purpose)
    {
        if (secret.Length < SecretLengths.Key)
        {
            throw new InvalidOperationException($"{setting} is shorter than {SecretLengths.Key} characters: give it a random secret.");
        }
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: Encoding.UTF8.GetBytes(purpose));
    }

    /// <summary>An ECDSA P-256 key (ES256): its private scalar derived, its public point computed from it.</summary>
    private static ECDsaSecurityKey SigningKey(string secret, string setting)
    {
        var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Derive(secret, setting, "polyglot token signing") });
        var key = new ECDsaSecurityKey(ecdsa);
        // The key id is the public key's thumbprint: the same on every replica.
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }

    private static SymmetricSecurityKey EncryptionKey(string secret) =>
        new(Derive(secret, "Auth:EncryptionKey", "polyglot token encryption"));
}
