using System.Web;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Polyglot.Crud.Tests;

/// <summary>
/// A person signs in on crud's sign-in page in headless Chromium, as the live page will send
/// them: authorization code with PKCE, the code exchanged once for a token naming them.
/// </summary>
public sealed class SignInTests(TokenServerFixture fixture) : IClassFixture<TokenServerFixture>
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.HttpAddress };

    [Fact]
    public async Task AUserSignsInWithPkceAfterAWrongPasswordAndTheCodeBuysOneTokenNamingThem()
    {
        var pkce = Pkce.Create();
        var state = Guid.NewGuid().ToString("N");
        var authorize = new Uri(fixture.Host.HttpAddress, "/connect/authorize?" + Query(new()
        {
            ["client_id"] = KnownClients.LivePage,
            ["response_type"] = "code",
            ["redirect_uri"] = TokenServerFixture.LivePage.ToString(),
            ["scope"] = $"openid profile {ApiScopes.Events}",
            ["code_challenge"] = pkce.Challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = state,
        }));

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
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong user name or password.");
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

    [Fact]
    public async Task TheSignInFormSendsNoOneOffSiteAfterSigningIn()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Host.HttpAddress };

        using var response = await SignInForm.PostAsync(http, TokenServerFixture.UserName, fixture.UserPassword, returnUrl: "https://evil.example/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.ToString());
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> ExchangeAsync(string code, string verifier) =>
        TokenEndpoint.AuthorizationCodeAsync(_http, code, TokenServerFixture.LivePage, verifier);

    private static string Query(Dictionary<string, string> parameters) =>
        string.Join('&', parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
}
