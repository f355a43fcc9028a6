using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.IdentityModel.Tokens;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Application = OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication;
using Polyglot.Crud.Auth;
using Polyglot.Crud.Data;

namespace Polyglot.Crud.Tests;

/// <summary>
/// crud's token server over real HTTP: services get signed JWTs with client credentials, checked
/// here as realtime will check them — with the keys crud publishes and nothing else.
/// </summary>
public sealed class TokenServerTests(TokenServerFixture fixture) : IClassFixture<TokenServerFixture>
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.HttpAddress };

    [Fact]
    public async Task AServiceGetsAJwtForItsScopesSignedWithTheConfiguredKeyThatThePublishedKeysVerify()
    {
        var before = DateTime.UtcNow;
        var reply = await TokenAsync(TokenServerFixture.Service, fixture.ServiceSecret, $"{ApiScopes.Boards} {ApiScopes.AllEvents}");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("Bearer", reply.Body.GetProperty("token_type").GetString());

        var (issuer, keys) = await PublishedKeysAsync(_http);
        var published = Assert.Single(keys.Keys);
        Assert.Equal(("EC", "P-256"), (published.Kty, published.Crv));

        var token = await ValidateAsync(reply.Body.GetProperty("access_token").GetString()!, issuer, keys);

        Assert.Equal("ES256", token.Alg);
        Assert.Equal(TokenServerFixture.Service, token.Subject);
        Assert.Equal([Audiences.Crud, Audiences.Realtime], token.Audiences.Order());
        Assert.Equal($"{ApiScopes.Boards} {ApiScopes.AllEvents}", token.GetClaim("scope").Value);
        // The configured lifetime, ten minutes (the clock's granularity is a second).
        Assert.InRange(token.ValidTo, before.AddMinutes(10).AddSeconds(-1), DateTime.UtcNow.AddMinutes(10).AddSeconds(1));
    }

    [Fact]
    public async Task AServiceAskingForAScopeItWasNotGivenIsRefusedAndGetsNoToken()
    {
        var reply = await TokenAsync(TokenServerFixture.Reader, fixture.ReaderSecret, ApiScopes.AllEvents);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        // OpenIddict answers a scope the client may not use with invalid_request, saying so.
        Assert.Equal("invalid_request", reply.Body.GetProperty("error").GetString());
        Assert.Equal("This client application is not allowed to use the specified scope.", reply.Body.GetProperty("error_description").GetString());
        Assert.False(reply.Body.TryGetProperty("access_token", out _));
    }

    [Theory]
    [InlineData(TokenServerFixture.Reader, "not-the-secret-at-all")]
    [InlineData("nobody", "not-the-secret-at-all")]
    public async Task AWrongSecretOrAnUnknownClientIsRefusedAndGetsNoToken(string clientId, string secret)
    {
        var reply = await TokenAsync(clientId, secret, ApiScopes.Events);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        Assert.Equal("invalid_client", reply.Body.GetProperty("error").GetString());
        Assert.False(reply.Body.TryGetProperty("access_token", out _));
    }

    [Fact]
    public async Task AReplicaGivenTheSameSecretPublishesTheSameKeySoItVerifiesTheOthersTokens()
    {
        var reply = await TokenAsync(TokenServerFixture.Service, fixture.ServiceSecret, ApiScopes.Boards);
        var (issuer, keys) = await PublishedKeysAsync(_http);

        await using var replica = new ServiceHost<BoardsService>(fixture.HostSettings);
        using var http = new HttpClient { BaseAddress = replica.HttpAddress };
        var (_, replicaKeys) = await PublishedKeysAsync(http);

        Assert.Equal(Assert.Single(keys.Keys).X, Assert.Single(replicaKeys.Keys).X);
        Assert.Equal(TokenServerFixture.Service, (await ValidateAsync(reply.Body.GetProperty("access_token").GetString()!, issuer, replicaKeys)).Subject);
    }

    [Fact]
    public async Task AfterTheSigningKeyIsRotatedTheNewKeySignsAndATokenTheOldOneSignedIsStillTaken()
    {
        var settings = fixture.HostSettings.ToDictionary();
        settings["ConnectionStrings:db"] = SqliteFile.NewConnectionString();
        string old;
        await using (var before = new ServiceHost<BoardsService>(settings))
        {
            using var http = new HttpClient { BaseAddress = before.HttpAddress };
            old = (await TokenAsync(TokenServerFixture.Service, fixture.ServiceSecret, ApiScopes.Boards, http)).Body.GetProperty("access_token").GetString()!;
        }
        var newKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        settings["Auth:SigningKey"] = newKey;
        async Task<HttpStatusCode> ListBoardsAsync(ServiceHost<BoardsService> crud, string token)
        {
            using var http = new HttpClient { BaseAddress = crud.HttpAddress };
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            using var response = await http.GetAsync("/v1/boards");
            return response.StatusCode;
        }

        await using (var rotated = new ServiceHost<BoardsService>(new Dictionary<string, string?>(settings) { ["Auth:PreviousSigningKey"] = fixture.SigningKey }))
        {
            using var http = new HttpClient { BaseAddress = rotated.HttpAddress };
            var fresh = (await TokenAsync(TokenServerFixture.Service, fixture.ServiceSecret, ApiScopes.Boards, http)).Body.GetProperty("access_token").GetString()!;
            var (issuer, keys) = await PublishedKeysAsync(http);

            Assert.Equal(2, keys.Keys.Count);
            Assert.NotEqual(new JsonWebToken(old).Kid, new JsonWebToken(fresh).Kid);
            // Both verify with the published keys, as realtime checks them, and crud's API takes both.
            await ValidateAsync(old, issuer, keys);
            await ValidateAsync(fresh, issuer, keys);
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (await ListBoardsAsync(rotated, old), await ListBoardsAsync(rotated, fresh)));
        }

        // The old secret removed: only the new key is published, and the old token is refused.
        await using var after = new ServiceHost<BoardsService>(settings);
        using (var http = new HttpClient { BaseAddress = after.HttpAddress })
        {
            Assert.Single((await PublishedKeysAsync(http)).Keys.Keys);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await ListBoardsAsync(after, old));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)] // one command at a time per connection: the revoking must not overlap the listing
    public async Task AClientTakenOutOfTheConfigurationIsRevokedWhenCrudNextStarts(DatabaseProvider provider)
    {
        // A database of its own: revoking the fixture's reader would fail the tests that run after this one.
        var settings = fixture.HostSettings.ToDictionary();
        settings["Database:Provider"] = provider.ToString();
        settings["ConnectionStrings:db"] = provider == DatabaseProvider.Postgres ? await LocalServer.NewPostgresDatabaseAsync() : SqliteFile.NewConnectionString();
        await using (var first = new ServiceHost<BoardsService>(settings))
        {
            using var firstHttp = new HttpClient { BaseAddress = first.HttpAddress };
            Assert.Equal(HttpStatusCode.OK, (await TokenAsync(TokenServerFixture.Reader, fixture.ReaderSecret, ApiScopes.Events, firstHttp)).Status);
        }
        var withoutReader = settings.Where(s => !s.Key.StartsWith("Auth:Clients:1:", StringComparison.Ordinal)).ToDictionary();

        await using var restarted = new ServiceHost<BoardsService>(withoutReader);
        using var http = new HttpClient { BaseAddress = restarted.HttpAddress };
        var reply = await TokenAsync(TokenServerFixture.Reader, fixture.ReaderSecret, ApiScopes.Events, http);

        Assert.Equal("invalid_client", reply.Body.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(TokenServerFixture.Service, fixture.ServiceSecret, ApiScopes.Boards, http)).Status);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task AUserTakenOutOfTheConfigurationCanNeitherSignInNorUseTheirCookieOrCodeOnceCrudRestartsUntilPutBack(DatabaseProvider provider)
    {
        var settings = fixture.HostSettings.ToDictionary();
        settings["Database:Provider"] = provider.ToString();
        settings["ConnectionStrings:db"] = provider == DatabaseProvider.Postgres ? await LocalServer.NewPostgresDatabaseAsync() : SqliteFile.NewConnectionString();
        const string Lee = TokenServerFixture.LockedOutUserName;
        var withoutLee = settings.Where(s => !s.Key.StartsWith("Auth:Users:1:", StringComparison.Ordinal)).ToDictionary();
        // Each person's browser: their cookies, kept across the restarts (a cookie ignores the port).
        var (ann, lee) = (new CookieContainer(), new CookieContainer());
        var pkce = Pkce.Create();
        var authorize = pkce.AuthorizePath(TokenServerFixture.LivePage);
        static HttpClient Browser(CookieContainer cookies, ServiceHost<BoardsService> crud) =>
            new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = crud.HttpAddress };
        async Task<string?> AuthorizeSendsToAsync(CookieContainer cookies, ServiceHost<BoardsService> crud)
        {
            using var http = Browser(cookies, crud);
            using var response = await http.GetAsync(authorize);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            return response.Headers.Location?.ToString();
        }
        async Task<HttpStatusCode> SignInAsync(CookieContainer cookies, ServiceHost<BoardsService> crud, string userName)
        {
            using var http = Browser(cookies, crud);
            using var response = await SignInForm.PostAsync(http, userName, fixture.UserPassword);
            return response.StatusCode;
        }

        async Task<string> CodeAsync(CookieContainer cookies, ServiceHost<BoardsService> crud)
        {
            var sentTo = await AuthorizeSendsToAsync(cookies, crud);
            Assert.StartsWith($"{TokenServerFixture.LivePage}?code=", sentTo);
            return System.Web.HttpUtility.ParseQueryString(new Uri(sentTo!).Query)["code"]!;
        }
        async Task<(HttpStatusCode, string?)> ExchangeAsync(string code, ServiceHost<BoardsService> crud)
        {
            using var http = new HttpClient { BaseAddress = crud.HttpAddress };
            var (status, body) = await TokenEndpoint.AuthorizationCodeAsync(http, code, TokenServerFixture.LivePage, pkce.Verifier);
            return (status, body.TryGetProperty("error", out var error) ? error.GetString() : null);
        }

        string annsCode, leesCode;
        await using (var first = new ServiceHost<BoardsService>(settings))
        {
            Assert.Equal(HttpStatusCode.Redirect, await SignInAsync(ann, first, TokenServerFixture.UserName));
            Assert.Equal(HttpStatusCode.Redirect, await SignInAsync(lee, first, Lee));
            (annsCode, leesCode) = (await CodeAsync(ann, first), await CodeAsync(lee, first));
        }

        await using (var withoutThem = new ServiceHost<BoardsService>(withoutLee))
        {
            // Lee's cookie, which bought a code before, now leads to the sign-in form, which refuses
            // Lee; the code Lee got before buys no token. Ann's cookie and code work as before.
            Assert.Equal("/account/login", new Uri((await AuthorizeSendsToAsync(lee, withoutThem))!).AbsolutePath);
            Assert.Equal(HttpStatusCode.BadRequest, await SignInAsync(new(), withoutThem, Lee));
            Assert.Equal((HttpStatusCode.BadRequest, "invalid_grant"), await ExchangeAsync(leesCode, withoutThem));
            Assert.Equal((HttpStatusCode.OK, null), await ExchangeAsync(annsCode, withoutThem));
            await CodeAsync(ann, withoutThem);
        }

        // Put back, Lee signs in again; the cookie from before stays refused.
        await using var putBack = new ServiceHost<BoardsService>(settings);
        Assert.Equal("/account/login", new Uri((await AuthorizeSendsToAsync(lee, putBack))!).AbsolutePath);
        Assert.Equal(HttpStatusCode.Redirect, await SignInAsync(lee, putBack, Lee));
        await CodeAsync(lee, putBack);
    }

    public enum Race
    {
        ClientRegistered,
        ClientUpdated,
        UserCreated,
        PasswordChanged,
    }

    /// <summary>
    /// Replicas starting together each make the configured clients and users so: the one that
    /// writes second fails on the first one's write (a unique key, or a concurrency token) and
    /// must still start, with the client or user as configured.
    /// </summary>
    [Theory]
    [InlineData(Race.ClientRegistered)]
    [InlineData(Race.ClientUpdated)]
    [InlineData(Race.UserCreated)]
    [InlineData(Race.PasswordChanged)]
    public async Task CrudStartsWhenAnotherReplicaMakesTheSameClientOrUserAtTheSameMoment(Race race)
    {
        var settings = fixture.HostSettings.ToDictionary();
        var database = settings["ConnectionStrings:db"] = SqliteFile.NewConnectionString();
        if (race is Race.ClientUpdated or Race.PasswordChanged)
        {
            // Started before, when the configuration gave ann another password; a client registered already is updated at every start.
            await using (new ServiceHost<BoardsService>(new Dictionary<string, string?>(settings) { ["Auth:Users:0:Password"] = "the password before" }))
            {
            }
        }
        var passwordHash = new PasswordHasher<User>().HashPassword(null!, fixture.UserPassword);
        var otherReplica = race switch
        {
            Race.ClientRegistered => new AnotherReplicaWritesFirst(e => e is { State: EntityState.Added, Entity: Application { ClientId: TokenServerFixture.Reader } }, () => Sqlite(database), other => other.Add(
                new Application { Id = Guid.NewGuid().ToString(), ClientId = TokenServerFixture.Reader, ClientType = "confidential", ConcurrencyToken = Guid.NewGuid().ToString() })),
            Race.ClientUpdated => new AnotherReplicaWritesFirst(e => e is { State: EntityState.Modified, Entity: Application { ClientId: TokenServerFixture.Reader } }, () => Sqlite(database), other =>
                other.Set<Application>().Single(a => a.ClientId == TokenServerFixture.Reader).ConcurrencyToken = Guid.NewGuid().ToString()),
            Race.UserCreated => new AnotherReplicaWritesFirst(e => e is { State: EntityState.Added, Entity: User { UserName: TokenServerFixture.UserName } }, () => Sqlite(database), other => other.Add(new User
            {
                Id = Guid.NewGuid(),
                UserName = TokenServerFixture.UserName,
                NormalizedUserName = TokenServerFixture.UserName.ToUpperInvariant(),
                SecurityStamp = Guid.NewGuid().ToString(),
                PasswordHash = passwordHash,
            })),
            Race.PasswordChanged => new AnotherReplicaWritesFirst(e => e is { State: EntityState.Modified, Entity: User { UserName: TokenServerFixture.UserName } }, () => Sqlite(database), other =>
            {
                var ann = other.Users.Single(u => u.UserName == TokenServerFixture.UserName);
                ann.PasswordHash = passwordHash;
                ann.ConcurrencyStamp = Guid.NewGuid().ToString();
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(race)),
        };

        await using var host = new ServiceHost<BoardsService>(settings, services => services.ConfigureDbContext<SqliteBoardsDbContext>(options => options.AddInterceptors(otherReplica)));

        Assert.True(otherReplica.Wrote, "The other replica never got in first.");
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        Assert.Equal(HttpStatusCode.OK, (await TokenAsync(TokenServerFixture.Reader, fixture.ReaderSecret, ApiScopes.Events, http)).Status);
        Assert.True(await PasswordIsAsync(host, TokenServerFixture.UserName, fixture.UserPassword));
    }

    /// <summary>
    /// Replicas starting together each remove a client taken out of the configuration: the one that
    /// deletes second finds it gone and must still start. On PostgreSQL: OpenIddict deletes in a
    /// serializable transaction, which SQLite begins by locking the whole file, so that there the
    /// other replica could not delete first.
    /// </summary>
    [Fact]
    public async Task CrudStartsWhenAnotherReplicaRemovesTheSameClientAtTheSameMoment()
    {
        var settings = fixture.HostSettings.ToDictionary();
        settings["Database:Provider"] = nameof(DatabaseProvider.Postgres);
        var database = settings["ConnectionStrings:db"] = await LocalServer.NewPostgresDatabaseAsync();
        await using (new ServiceHost<BoardsService>(settings))
        {
        }
        var withoutReader = settings.Where(s => !s.Key.StartsWith("Auth:Clients:1:", StringComparison.Ordinal)).ToDictionary();
        var otherReplica = new AnotherReplicaWritesFirst(e => e is { State: EntityState.Deleted, Entity: Application { ClientId: TokenServerFixture.Reader } },
            () => new PostgresBoardsDbContext(new DbContextOptionsBuilder<PostgresBoardsDbContext>().UseNpgsql(database).Options),
            other => other.Remove(other.Set<Application>().Single(a => a.ClientId == TokenServerFixture.Reader)));

        await using var host = new ServiceHost<BoardsService>(withoutReader, services => services.ConfigureDbContext<PostgresBoardsDbContext>(options => options.AddInterceptors(otherReplica)));

        Assert.True(otherReplica.Wrote, "The other replica never got in first.");
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        Assert.Equal("invalid_client", (await TokenAsync(TokenServerFixture.Reader, fixture.ReaderSecret, ApiScopes.Events, http)).Body.GetProperty("error").GetString());
    }

    private static SqliteBoardsDbContext Sqlite(string connectionString) => new(new DbContextOptionsBuilder<SqliteBoardsDbContext>().UseSqlite(connectionString).Options);

    private static async Task<bool> PasswordIsAsync(ServiceHost<BoardsService> host, string userName, string password)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
        return await users.FindByNameAsync(userName) is { } user && await users.CheckPasswordAsync(user, password);
    }

    /// <summary>
    /// Another replica starting at the same moment: just before this one saves the change
    /// <paramref name="isTheOne"/> picks, it writes that row its own way (<paramref name="write"/>,
    /// on a context of its own, <paramref name="otherReplica"/>), so that this one's save fails on it.
    /// </summary>
    private sealed class AnotherReplicaWritesFirst(Func<EntityEntry, bool> isTheOne, Func<BoardsDbContext> otherReplica, Action<BoardsDbContext> write) : SaveChangesInterceptor
    {
        public bool Wrote { get; private set; }

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (!Wrote && eventData.Context!.ChangeTracker.Entries().Any(isTheOne))
            {
                Wrote = true;
                await using var other = otherReplica();
                write(other);
                await other.SaveChangesAsync(cancellationToken);
            }
            return result;
        }
    }

    [Theory]
    [InlineData("Production", null, "Auth:SigningKey is not set")]
    [InlineData("Development", "too short to be a key", "Auth:SigningKey is shorter than 32 characters")]
    public void CrudWithoutAUsableSigningKeyRefusesToStartSayingWhatToSet(string environment, string? signingKey, string expected)
    {
        var settings = fixture.HostSettings.Where(s => s.Key != "Auth:SigningKey")
            .Append(new("environment", environment)).Append(new("Auth:SigningKey", signingKey)).ToDictionary();

        var error = Assert.ThrowsAny<Exception>(() => new ServiceHost<BoardsService>(settings));

        Assert.Contains(expected, error.ToString());
    }

    private static async Task<(string Issuer, JsonWebKeySet Keys)> PublishedKeysAsync(HttpClient http)
    {
        var discovery = await http.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        return (discovery.GetProperty("issuer").GetString()!, new JsonWebKeySet(await http.GetStringAsync(discovery.GetProperty("jwks_uri").GetString())));
    }

    /// <summary>Checks a token as an API will: signature by a published key, issuer, audience, lifetime.</summary>
    private static async Task<JsonWebToken> ValidateAsync(string token, string issuer, JsonWebKeySet keys)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudiences = [Audiences.Crud, Audiences.Realtime],
            IssuerSigningKeys = keys.GetSigningKeys(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return (JsonWebToken)result.SecurityToken;
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(string clientId, string secret, string scope, HttpClient? http = null) =>
        TokenEndpoint.ClientCredentialsAsync(http ?? _http, clientId, secret, scope);
}
