using System.Web;

namespace Polyglot.Crud.Tests;

/// <summary>
/// Signing in leaves no secret behind: with crud logging everything (Trace) and every activity
/// recorded, a client secret, a password, a code and the tokens issued appear in no log record and
/// no trace.
/// </summary>
public sealed class SecretsInTelemetryTests(TokenServerFixture fixture) : IClassFixture<TokenServerFixture>
{
    [Fact]
    public async Task NoSecretOrTokenAppearsInCrudsLogsOrTracesWhileServicesAndPeopleSignIn()
    {
        using var telemetry = new TelemetryRecorder();
        // Everything at Trace, OpenIddict by name too and by a longer name: no setting may bring its token-writing lines back.
        var settings = fixture.HostSettings.Concat(TelemetryRecorder.TraceEverything)
            .Append(new("Logging:LogLevel:OpenIddict", "Trace")).Append(new("Logging:Fake:LogLevel:OpenIddict.Server", "Trace"))
            .Append(new("Logging:Fake:LogLevel:*OpenIddictServerDispatcher", "Trace")).ToDictionary();
        await using var crud = new ServiceHost<BoardsService>(settings, telemetry.Register);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = crud.HttpAddress };

        var (serviceStatus, service) = await TokenEndpoint.ClientCredentialsAsync(http, TokenServerFixture.Service, fixture.ServiceSecret, ApiScopes.Boards);
        var pkce = Pkce.Create();
        var authorize = pkce.AuthorizePath(TokenServerFixture.LivePage, $"openid profile {ApiScopes.Events}");
        using (var toSignIn = await http.GetAsync(authorize))
        {
            Assert.Equal(HttpStatusCode.Redirect, toSignIn.StatusCode);
        }
        using (var signedIn = await SignInForm.PostAsync(http, TokenServerFixture.UserName, fixture.UserPassword, authorize))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }
        using var withCode = await http.GetAsync(authorize);
        var code = HttpUtility.ParseQueryString(withCode.Headers.Location!.Query)["code"]!;
        var (personStatus, person) = await TokenEndpoint.AuthorizationCodeAsync(http, code, TokenServerFixture.LivePage, pkce.Verifier);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (serviceStatus, personStatus));
        // Not the PKCE verifier: OpenIddict logs it (at Information) with the request, but without
        // the code, which it redacts and which is good once, a verifier buys nothing.
        string[] secrets =
        [
            fixture.ServiceSecret, fixture.UserPassword, code,
            service.GetProperty("access_token").GetString()!,
            person.GetProperty("access_token").GetString()!, person.GetProperty("id_token").GetString()!,
        ];
        Assert.True(telemetry.Recorded("OpenIddict"));
        Assert.Empty(telemetry.Leaks(secrets));
    }

}
