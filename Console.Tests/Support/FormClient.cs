using System.Net;
using System.Text.RegularExpressions;

namespace OperatorConsole.Tests.Support;

/// <summary>Drives the static server-rendered account forms over real HTTP, like a browser without JavaScript.</summary>
public sealed partial class FormClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    /// <summary>GETs the page, then posts the named form with its antiforgery token and the given fields.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string path, string formName, IDictionary<string, string> fields)
    {
        var page = await Http.GetStringAsync(path);
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, $"No antiforgery token on {path}");
        var values = new Dictionary<string, string>(fields)
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        };
        return await Http.PostAsync(path, new FormUrlEncodedContent(values));
    }

    public Task<HttpResponseMessage> LoginAsync(string email, string password) =>
        PostFormAsync("/Account/Login", "login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
