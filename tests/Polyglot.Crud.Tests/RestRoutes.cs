namespace Polyglot.Crud.Tests;

/// <summary>The REST routes crud's OpenAPI document lists, each able to name real rows.</summary>
internal static class RestRoutes
{
    public sealed record Route(string Method, string Path, bool HasBody)
    {
        /// <summary>The path with its parameters filled in.</summary>
        public string Url(Board board, Column column, Card card, string user)
        {
            var url = Path
                .Replace("/v1/boards/{id}", $"/v1/boards/{board.Id}")
                .Replace("/v1/columns/{id}", $"/v1/columns/{column.Id}")
                .Replace("/v1/cards/{id}", $"/v1/cards/{card.Id}")
                .Replace("{board_id}", board.Id)
                .Replace("{column_id}", column.Id)
                .Replace("{user}", user);
            Assert.DoesNotContain("{", url);
            return url;
        }

        public HttpRequestMessage Request(string url) => new(new HttpMethod(Method.ToUpperInvariant()), url)
        {
            Content = HasBody ? JsonContent.Create(new { }) : null,
        };
    }

    public static async Task<List<Route>> ListAsync(HttpClient http)
    {
        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        return [.. document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Select(operation => new Route(operation.Name, path.Name, operation.Value.TryGetProperty("requestBody", out _))))];
    }
}
