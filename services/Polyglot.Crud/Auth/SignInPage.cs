using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;

namespace Polyglot.Crud.Auth;

/// <summary>
/// A plain sign-in form (user name and password, ASP.NET Core Identity) that the authorization
/// endpoint sends people to; it sets Identity's cookie and returns them where they came from.
/// And the question the end-session endpoint asks before it signs anyone out.
/// </summary>
internal static class SignInPage
{
    public const string Path = "/account/login";

    public static void MapSignInPage(this WebApplication app)
    {
        app.MapGet(Path, (HttpContext context, IAntiforgery antiforgery, string? returnUrl) =>
            Page(context, antiforgery, returnUrl, error: null)).ExcludeFromDescription();

        app.MapPost(Path, async (HttpContext context, IAntiforgery antiforgery, SignInManager<User> signIn, IPasswordHasher<User> hasher,
            [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl) =>
        {
            var result = userName is { Length: > 0 } && password is { Length: > 0 }
                ? await SignInAsync(signIn, hasher, userName, password)
                : Microsoft.AspNetCore.Identity.SignInResult.Failed;
            if (!result.Succeeded)
            {
                // One message whatever was wrong, a lockout included: only a name that exists can be
                // locked out, so saying so would tell anyone which user names exist.
                return Page(context, antiforgery, returnUrl, "Wrong user name or password (after several wrong tries, wait a few minutes).");
            }
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
        }).ExcludeFromDescription();
    }

    /// <summary>
    /// Identity's password sign-in, except that a name no one has, or one locked out, costs a
    /// password hash as well (Identity hashes nothing for either): otherwise the time an answer
    /// takes would tell which names exist.
    /// </summary>
    private static async Task<Microsoft.AspNetCore.Identity.SignInResult> SignInAsync(SignInManager<User> signIn, IPasswordHasher<User> hasher, string userName, string password)
    {
        var user = await signIn.UserManager.FindByNameAsync(userName);
        if (user is null || await signIn.UserManager.IsLockedOutAsync(user))
        {
            _ = hasher.HashPassword(user ?? new User(), password);
        }
        return user is null
            ? Microsoft.AspNetCore.Identity.SignInResult.Failed
            : await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: true);
    }

    /// <summary>
    /// Only a path on this server: anything else would make the form an open redirect. No control
    /// character either: a browser drops a tab, so "/\t/host" is "//host" (LocalRedirect throws on it).
    /// </summary>
    private static bool IsLocal(string? url) =>
        (url is ['/'] || url is ['/', var second, ..] && second != '/' && second != '\\') && !url.Any(char.IsControl);

    private static IResult Page(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? error)
    {
        var html = HtmlEncoder.Default;
        var alert = error is null ? "" : $"<p class=\"error\" role=\"alert\">{html.Encode(error)}</p>";
        return Form(context, antiforgery, "Sign in", alert, Path, [new("returnUrl", returnUrl ?? "/")], """
            <label for="userName">User name</label><input id="userName" name="userName" autocomplete="username" required>
            <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
            """, error is null ? 200 : 400);
    }

    /// <summary>
    /// The end-session endpoint's question to someone signed in: a link from any site leads there,
    /// and only their own click, posted back with the request and an anti-forgery token, signs them out.
    /// </summary>
    public static IResult ConfirmSignOut(HttpContext context, IAntiforgery antiforgery, IEnumerable<KeyValuePair<string, string>> request) =>
        Form(context, antiforgery, "Sign out", "<p>Sign out of Polyglot on this browser?</p>", context.Request.PathBase + context.Request.Path, request, fields: "", status: 200);

    private static IResult Form(HttpContext context, IAntiforgery antiforgery, string title, string before, string action,
        IEnumerable<KeyValuePair<string, string>> hidden, string fields, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var html = HtmlEncoder.Default;
        var inputs = string.Concat(hidden.Where(field => field.Key != tokens.FormFieldName).Prepend(new(tokens.FormFieldName, tokens.RequestToken!))
            .Select(field => $"<input type=\"hidden\" name=\"{html.Encode(field.Key)}\" value=\"{html.Encode(field.Value)}\">\n"));
        var body = $$"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>{{title}} · Polyglot</title>
            <style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto}label,input,button{display:block;width:100%;margin:.4rem 0}.error{color:#b00020}</style></head>
            <body>
            <h1>{{title}}</h1>
            {{before}}
            <form method="post" action="{{html.Encode(action)}}">
            {{inputs}}{{fields}}<button type="submit">{{title}}</button>
            </form>
            </body>
            </html>
            """;
        return Results.Content(body, "text/html; charset=utf-8", statusCode: status);
    }
}
