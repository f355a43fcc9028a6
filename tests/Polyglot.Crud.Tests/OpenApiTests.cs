using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Polyglot.Crud.Tests;

/// <summary>
/// crud's OpenAPI document (/openapi/v1.json), built from the google.api.http rules, lists every
/// REST route, and each one it lists answers from the API; the Scalar page (/scalar) shows it in a
/// real browser, from crud alone.
/// </summary>
public sealed class OpenApiTests(SqliteCrudFixture fixture) : IClassFixture<SqliteCrudFixture>
{
    private readonly HttpClient _http = LocalAuth.Shared.CrudHttpClient(fixture.Host.HttpAddress);

    [Fact]
    public async Task EveryOperationInTheDocumentIsARouteTheApiAnswers()
    {
        var board = await fixture.Boards.CreateBoardAsync(new CreateBoardRequest { Name = "Documented" });
        var column = await fixture.Columns.CreateColumnAsync(new CreateColumnRequest { BoardId = board.Id, Name = "To do" });
        var card = await fixture.Cards.CreateCardAsync(new CreateCardRequest { ColumnId = column.Id, Title = "Read the docs" });
        var routes = await RestRoutes.ListAsync(_http);
        // Every method of Boards, Columns, Cards and Members has a rule: 5 + 5 + 6 + 3.
        Assert.Equal(19, routes.Count);
        foreach (var route in routes)
        {
            // A user name over the length limit is refused by the API, naming the field.
            var url = route.Url(board, column, card, user: new string('u', 300));
            var method = route.Method;
            // An empty body or no version is a request the API itself refuses, naming the fields:
            // the route reached the service. Reads of what exists succeed.
            using var request = route.Request(url);
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            if (method == "get")
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {url}: {(int)response.StatusCode} {body}");
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {url}: {(int)response.StatusCode} {body}");
                Assert.Equal((int)global::Grpc.Core.StatusCode.InvalidArgument, JsonDocument.Parse(body).RootElement.GetProperty("code").GetInt32());
            }
        }
    }

    [Fact]
    public async Task TheDocumentSaysEveryRouteTakesATokenFromCrudsTokenEndpoint()
    {
        var document = await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var flow = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2").GetProperty("flows").GetProperty("clientCredentials");
        var required = Assert.Single(document.GetProperty("security").EnumerateArray().Single().EnumerateObject());
        using var token = await new HttpClient { BaseAddress = fixture.Host.HttpAddress }.PostAsync(flow.GetProperty("tokenUrl").GetString(),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = LocalAuth.Shared.ClientId, ["client_secret"] = LocalAuth.Shared.ClientSecret, ["scope"] = "boards" }));

        Assert.Equal(("oauth2", "boards"), (required.Name, required.Value.EnumerateArray().Single().GetString()));
        Assert.True(flow.GetProperty("scopes").TryGetProperty("boards", out _));
        Assert.Equal(HttpStatusCode.OK, token.StatusCode); // the tokenUrl is where crud gives tokens
    }

    [Fact]
    public async Task TheScalarPageShowsTheApiInABrowser()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.Host.HttpAddress, "/scalar").ToString());
        await Expect(page.GetByText("Polyglot crud").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        // The first group (Boards) opens with its operations; the others are listed.
        await Expect(page.GetByText("CreateBoard").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 30_000 });
        await Expect(page.GetByText("Cards").First).ToBeVisibleAsync();
    }
}
