using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Polyglot.Contracts.Auth;
using Polyglot.Crud.Grpc;

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
        var logs = new FakeLoggerProvider();
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        // Everything at Trace, OpenIddict by name too: no setting may bring its token-writing lines back.
        var settings = fixture.HostSettings.Append(new("Logging:LogLevel:Default", "Trace")).Append(new("Logging:LogLevel:OpenIddict", "Trace")).ToDictionary();
        await using var crud = new ServiceHost<BoardsService>(settings, services => services.AddSingleton<ILoggerProvider>(logs));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = crud.HttpAddress };

        var service = await PostTokenAsync(http, new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = TokenServerFixture.Service,
            ["client_secret"] = fixture.ServiceSecret,
            ["scope"] = ApiScopes.Boards,
        });
        var pkce = Pkce.Create();
        var authorize = $"/connect/authorize?client_id={KnownClients.LivePage}&response_type=code&scope=openid%20profile%20{ApiScopes.Events}"
            + $"&redirect_uri={Uri.EscapeDataString(TokenServerFixture.LivePage.ToString())}&code_challenge={pkce.Challenge}&code_challenge_method=S256";
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
        var person = await PostTokenAsync(http, new()
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = KnownClients.LivePage,
            ["code"] = code,
            ["redirect_uri"] = TokenServerFixture.LivePage.ToString(),
            ["code_verifier"] = pkce.Verifier,
        });

        // Not the PKCE verifier: OpenIddict logs it (at Information) with the request, but without
        // the code, which it redacts and which is good once, a verifier buys nothing.
        string[] secrets =
        [
            fixture.ServiceSecret, fixture.UserPassword, code,
            service.GetProperty("access_token").GetString()!,
            person.GetProperty("access_token").GetString()!, person.GetProperty("id_token").GetString()!,
        ];
        var records = logs.Collector.GetSnapshot();
        List<Activity> traced;
        lock (activities)
        {
            traced = [.. activities];
        }
        // What is searched was recorded: the token server's own log lines, and the requests' activities.
        Assert.Contains(records, r => r.Category?.StartsWith("OpenIddict", StringComparison.Ordinal) == true);
        Assert.Contains(traced, a => a.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn");

        var logged = records.Select(r => $"{r.Message} {string.Join(' ', r.StructuredState?.Select(s => s.Value) ?? [])} {r.Exception}");
        var inTraces = traced.Select(a => $"{a.DisplayName} {a.StatusDescription} {string.Join(' ', a.TagObjects.Select(t => t.Value))} "
            + string.Join(' ', a.Events.SelectMany(e => e.Tags.Select(t => t.Value))));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(logged, text => text.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(inTraces, text => text.Contains(secret, StringComparison.Ordinal));
        }
    }

    private static async Task<JsonElement> PostTokenAsync(HttpClient http, Dictionary<string, string> form)
    {
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(form));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }
}
