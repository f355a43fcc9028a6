using System.Net;
using System.Text.RegularExpressions;

namespace Polyglot.Testing;

/// <summary>crud's sign-in form, filled in as a browser would: its anti-forgery token and cookie, then the post.</summary>
public static partial class SignInForm
{
    /// <summary>
    /// Posts user name and password; on success crud answers 302 to <paramref name="returnUrl"/>
    /// when it is local. <paramref name="http"/> needs cookies on and redirects off. The form comes
    /// from <paramref name="formFrom"/> (another replica) when given.
    /// </summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string userName, string password, string returnUrl = "/", Uri? formFrom = null)
    {
        var path = $"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}";
        var form = await http.GetStringAsync(formFrom is null ? new Uri(path, UriKind.Relative) : new Uri(formFrom, path));
        var antiforgery = AntiforgeryField().Match(form);
        if (!antiforgery.Success)
        {
            throw new InvalidOperationException($"The sign-in form has no anti-forgery field: {form}");
        }
        return await http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [antiforgery.Groups[1].Value] = WebUtility.HtmlDecode(antiforgery.Groups[2].Value),
            ["userName"] = userName,
            ["password"] = password,
            ["returnUrl"] = returnUrl,
        }));
    }

    /// <summary>
    /// Answers crud's question before it signs someone out, <paramref name="question"/> (its page):
    /// posts the form back as a browser would, every hidden field with it (but for <paramref name="changed"/>).
    /// </summary>
    public static async Task<HttpResponseMessage> ConfirmSignOutAsync(HttpClient http, HttpResponseMessage question, (string Name, string Value)? changed = null)
    {
        var page = await question.Content.ReadAsStringAsync();
        var action = FormAction().Match(page);
        if (!action.Success)
        {
            throw new InvalidOperationException($"No form on the page: {page}");
        }
        var fields = HiddenField().Matches(page).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        if (changed is var (name, value))
        {
            fields[name] = value;
        }
        return await http.PostAsync(WebUtility.HtmlDecode(action.Groups[1].Value), new FormUrlEncodedContent(fields));
    }

    [GeneratedRegex("name=\"(__RequestVerificationToken)\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\"")]
    private static partial Regex FormAction();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenField();
}
