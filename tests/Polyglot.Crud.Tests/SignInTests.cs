using System.Text.RegularExpressions;
using System.Web;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Playwright;
using Polyglot.Crud.Auth;
using static Microsoft.Playwright.Assertions;

namespace Polyglot.Crud.Tests;

/// <summary>
/// A person signs in on crud's sign-in page in headless Chromium, as the live page will send
/// them: authorization code with PKCE, the code exchanged once for a token naming them.
/// </summary>
public sealed partial class SignInTests(TokenServerFixture fixture) : IClassFixture<TokenServerFixture>
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.HttpAddress };

    [Fact]
    public async Task AUserSignsInWithPkceAfterAWrongPasswordAndTheCodeBuysOneTokenNamingThem()
    {
        var pkce = Pkce.Create();
        var state = Guid.NewGuid().ToString("N");
        var authorize = new Uri(fixture.Host.HttpAddress, pkce.AuthorizePath(TokenServerFixture.LivePage, $"openid profile {ApiScopes.Events}", state: state));

        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync();
        // Nothing serves the live page's address here: the browser's arrival there is the result.
        var arrived = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync($"{TokenServerFixture.LivePage.GetLeftPart(UriPartial.Authority)}/**", async route =>
        {
            arrived.TrySetResult(new Uri(route.Request.Url));
            await route.FulfillAsync(new RouteFulfillOptions { Body = "live page" });
        });
        await page.GotoAsync(authorize.ToString());

        await page.GetByLabel("User name").FillAsync(TokenServerFixture.UserName);
        await page.GetByLabel("Password").FillAsync("not the password at all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(Refused);
        Assert.False(arrived.Task.IsCompleted);

        await page.GetByLabel("User name").FillAsync(TokenServerFixture.UserName);
        await page.GetByLabel("Password").FillAsync(fixture.UserPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var callback = HttpUtility.ParseQueryString((await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30))).Query);
        Assert.Equal(state, callback["state"]);
        var code = callback["code"] ?? throw new InvalidOperationException("No code in the redirect.");

        var wrongVerifier = await ExchangeAsync(code, Pkce.Create().Verifier);
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_grant"), (wrongVerifier.Status, wrongVerifier.Body.GetProperty("error").GetString()));

        var tokens = await ExchangeAsync(code, pkce.Verifier);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var token = new JsonWebToken(tokens.Body.GetProperty("access_token").GetString());
        var userId = await fixture.QueryAsync(db => db.Users.Where(u => u.UserName == TokenServerFixture.UserName).Select(u => u.Id).SingleAsync());
        Assert.Equal(userId.ToString(), token.Subject);
        Assert.Equal(TokenServerFixture.UserName, token.GetClaim("name").Value);
        Assert.Equal([Audiences.Realtime], token.Audiences);
        Assert.True(tokens.Body.TryGetProperty("id_token", out _));

        // A code is good once.
        var again = await ExchangeAsync(code, pkce.Verifier);
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_grant"), (again.Status, again.Body.GetProperty("error").GetString()));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")] // a browser drops the tab: //evil.example
    public async Task TheSignInFormSendsNoOneOffSiteAfterSigningIn(string returnUrl)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Host.HttpAddress };

        using var response = await SignInForm.PostAsync(http, TokenServerFixture.UserName, fixture.UserPassword, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task SigningOutEndsTheSignInAndReturnsOnlyToTheClientsOwnAddress()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Host.HttpAddress };
        var authorize = Pkce.Create().AuthorizePath(TokenServerFixture.LivePage);
        async Task<Uri?> SendsToAsync(string path)
        {
            using var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            return response.Headers.Location;
        }
        string EndSession(string returnTo) => $"{TokenServerPaths.EndSession}?client_id={KnownClients.LivePage}&post_logout_redirect_uri={Uri.EscapeDataString(returnTo)}";
        using (var signedIn = await SignInForm.PostAsync(http, TokenServerFixture.UserName, fixture.UserPassword))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }
        Assert.StartsWith($"{TokenServerFixture.LivePage}?code=", (await SendsToAsync(authorize))?.ToString());

        // Anywhere else: refused, and still signed in.
        using (var elsewhere = await http.GetAsync(EndSession("https://evil.example/")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        }
        Assert.StartsWith($"{TokenServerFixture.LivePage}?code=", (await SendsToAsync(authorize))?.ToString());

        // The client's own address: crud asks first, and the answer signs out and goes back there.
        using var question = await http.GetAsync(EndSession(TokenServerFixture.LivePage.ToString()) + "&state=abc");
        Assert.Equal(HttpStatusCode.OK, question.StatusCode);
        using (var redirected = await SignInForm.ConfirmSignOutAsync(http, question, ("post_logout_redirect_uri", "https://evil.example/")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, redirected.StatusCode); // the answer is checked again
        }
        Assert.StartsWith($"{TokenServerFixture.LivePage}?code=", (await SendsToAsync(authorize))?.ToString());
        using var answered = await SignInForm.ConfirmSignOutAsync(http, question);
        Assert.Equal(HttpStatusCode.Redirect, answered.StatusCode);
        Assert.Equal(new Uri(TokenServerFixture.LivePage, "?state=abc"), answered.Headers.Location);
        Assert.Equal(SignInPagePath, (await SendsToAsync(authorize))?.AbsolutePath);
        // Signed out already, nothing is asked.
        Assert.Equal(TokenServerFixture.LivePage, await SendsToAsync(EndSession(TokenServerFixture.LivePage.ToString())));
    }

    [Fact]
    public async Task AnotherSitesLinkOrFormToSignOutLeavesTheVisitorSignedIn()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Host.HttpAddress };
        var authorize = Pkce.Create().AuthorizePath(TokenServerFixture.LivePage);
        var endSession = new Dictionary<string, string?> { ["client_id"] = KnownClients.LivePage, ["post_logout_redirect_uri"] = TokenServerFixture.LivePage.ToString() };
        using (var signedIn = await SignInForm.PostAsync(http, TokenServerFixture.UserName, fixture.UserPassword))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        // A link (the browser sends crud's cookie along), and a form posted from elsewhere, which has no anti-forgery token.
        using var linked = await http.GetAsync($"{TokenServerPaths.EndSession}{Microsoft.AspNetCore.Http.QueryString.Create(endSession)}");
        using var posted = await http.PostAsync(TokenServerPaths.EndSession, new FormUrlEncodedContent(endSession!));
        using var forged = await http.PostAsync(TokenServerPaths.EndSession, new FormUrlEncodedContent(new Dictionary<string, string?>(endSession) { ["__RequestVerificationToken"] = "forged" }!));

        Assert.All([linked, posted, forged], answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode)); // the question, not a sign-out
        using var stillSignedIn = await http.GetAsync(authorize);
        Assert.StartsWith($"{TokenServerFixture.LivePage}?code=", stillSignedIn.Headers.Location?.ToString());
    }

    [Fact]
    public async Task TheSignInFormSaysTheSameForAUserLockedOutAsForANameNoOneHas()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Host.HttpAddress };
        async Task<string> AlertAsync(string userName, string password)
        {
            using var response = await SignInForm.PostAsync(http, userName, password);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return WebUtility.HtmlDecode(Alert().Match(await response.Content.ReadAsStringAsync()).Groups[1].Value);
        }

        // Identity locks a user out after five wrong passwords in a row; the sixth try is refused as locked out.
        var known = new List<string>();
        var unknown = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            known.Add(await AlertAsync(TokenServerFixture.LockedOutUserName, "wrong"));
            unknown.Add(await AlertAsync("nobody", "wrong"));
        }
        var withTheRightPassword = await AlertAsync(TokenServerFixture.LockedOutUserName, fixture.UserPassword);

        var lockedOutUntil = await fixture.QueryAsync(db => db.Users.Where(u => u.UserName == TokenServerFixture.LockedOutUserName).Select(u => u.LockoutEnd).SingleAsync());
        Assert.True(lockedOutUntil > DateTimeOffset.UtcNow, $"locked out until {lockedOutUntil}");
        Assert.All([.. known, .. unknown, withTheRightPassword], alert => Assert.Equal(Refused, alert));
    }

    [Fact]
    public async Task TheSignInFormHashesAPasswordForANameNoOneHasOrOneLockedOutAsForAKnownName()
    {
        var settings = fixture.HostSettings.ToDictionary();
        settings["ConnectionStrings:db"] = SqliteFile.NewConnectionString();
        var hasher = new CountingPasswordHasher();
        await using var host = new ServiceHost<BoardsService>(settings, services => services.AddSingleton<IPasswordHasher<User>>(hasher));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.HttpAddress };
        async Task<int> HashesAsync(string userName, string password)
        {
            var before = hasher.Hashes;
            using var response = await SignInForm.PostAsync(http, userName, password);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return hasher.Hashes - before;
        }

        Assert.Equal(1, await HashesAsync(TokenServerFixture.UserName, "wrong"));
        Assert.Equal(1, await HashesAsync("nobody", "wrong"));
        // Five wrong passwords in a row lock a user out; from then on even the right one is refused.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(1, await HashesAsync(TokenServerFixture.LockedOutUserName, "wrong"));
        }
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<User>>();
            Assert.True(await users.IsLockedOutAsync((await users.FindByNameAsync(TokenServerFixture.LockedOutUserName))!), "Never locked out.");
        }
        Assert.Equal(1, await HashesAsync(TokenServerFixture.LockedOutUserName, fixture.UserPassword));
    }

    [Fact]
    public async Task WrongPasswordsLockingAUserOutRefuseTheFormButNotASignInAlreadyMade()
    {
        var settings = fixture.HostSettings.ToDictionary();
        settings["ConnectionStrings:db"] = SqliteFile.NewConnectionString();
        await using var host = new ServiceHost<BoardsService>(settings);
        using var signedIn = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.HttpAddress };
        using var someoneElse = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.HttpAddress };
        async Task<HttpStatusCode> PostAsync(HttpClient http, string password)
        {
            using var response = await SignInForm.PostAsync(http, TokenServerFixture.LockedOutUserName, password);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Redirect, await PostAsync(signedIn, fixture.UserPassword));

        // Someone else tries five wrong passwords: Lee is locked out, the right password refused.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(someoneElse, "wrong"));
        }
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(someoneElse, fixture.UserPassword));

        using var authorize = await signedIn.GetAsync(Pkce.Create().AuthorizePath(TokenServerFixture.LivePage));
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        Assert.StartsWith($"{TokenServerFixture.LivePage}?code=", authorize.Headers.Location?.ToString());
    }

    /// <summary>Identity's own hasher, counting the passwords it hashes: to hash one, or to check one against a hash.</summary>
    private sealed class CountingPasswordHasher : IPasswordHasher<User>
    {
        private readonly PasswordHasher<User> _hasher = new();
        private int _hashes;

        public int Hashes => _hashes;

        public string HashPassword(User user, string password)
        {
            Interlocked.Increment(ref _hashes);
            return _hasher.HashPassword(user, password);
        }

        public PasswordVerificationResult VerifyHashedPassword(User user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _hashes);
            return _hasher.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    private const string SignInPagePath = "/account/login";

    private const string Refused = "Wrong user name or password (after several wrong tries, wait a few minutes).";

    [GeneratedRegex("role=\"alert\">([^<]*)<")]
    private static partial Regex Alert();

    private Task<(HttpStatusCode Status, JsonElement Body)> ExchangeAsync(string code, string verifier) =>
        TokenEndpoint.AuthorizationCodeAsync(_http, code, TokenServerFixture.LivePage, verifier);
}
