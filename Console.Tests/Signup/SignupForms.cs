using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Tests.Security;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Signup;

/// <summary>The app with a cheap proof-of-work (tests solve it in C#) and a small per-address sign-up budget.</summary>
public sealed class SignupAppFactory() : SecurityAppFactory(new Dictionary<string, string?>
{
    ["Signup:PowBits"] = "6",
    ["RateLimits:SignupPerIpPerHour"] = "5",
});

/// <summary>Fills the register form over real HTTP the way signup-pow.js does in a browser.</summary>
public static partial class SignupForms
{
    public const string Password = "Nuevo!Pass123";

    /// <summary>A client from its own address, so each test has its own sign-up budget.</summary>
    public static FormClient NewClient(SignupAppFactory app) =>
        new(app.Client(SecurityAppFactory.Proxy, $"198.18.{Random.Shared.Next(0, 255)}.{Random.Shared.Next(1, 255)}"));

    public sealed record Page(string Token, string Challenge, int Bits);

    public static async Task<Page> OpenAsync(FormClient client)
    {
        var html = await client.Http.GetStringAsync("/Account/Register");
        return new Page(WebUtility.HtmlDecode(Antiforgery().Match(html).Groups[1].Value),
            WebUtility.HtmlDecode(Challenge().Match(html).Groups[1].Value), int.Parse(Bits().Match(html).Groups[1].Value));
    }

    public static string Solve(Page page)
    {
        for (var n = 0; ; n++)
            if (SignupProofOfWork.Meets(page.Challenge, n.ToString(), page.Bits)) return n.ToString();
    }

    public static Task<HttpResponseMessage> PostAsync(FormClient client, Page page, string? solution, string business, string email,
        string country = "MX", string? website = null, string password = Password) =>
        client.Http.PostAsync("/Account/Register", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "register",
            ["__RequestVerificationToken"] = page.Token,
            ["Input.BusinessName"] = business,
            ["Input.OwnerName"] = "Lupe Pérez",
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["Input.Country"] = country,
            ["Input.Website"] = website ?? "",
            ["Input.PowChallenge"] = page.Challenge,
            ["Input.PowSolution"] = solution ?? "",
        }));

    public static async Task<HttpResponseMessage> RegisterAsync(FormClient client, string business, string email, string country = "MX")
    {
        var page = await OpenAsync(client);
        return await PostAsync(client, page, Solve(page), business, email, country);
    }

    public static async Task<List<OutboundEmail>> MailsToAsync(ConsoleAppFactory app, string email)
    {
        await using var work = app.Scopes.ForSystem("test");
        return await work.Db.OutboundEmails.AsNoTracking().Where(e => e.To == email).OrderBy(e => e.CreatedAt).ToListAsync();
    }

    public static string Link(string html) => WebUtility.HtmlDecode(Href().Match(html).Groups[1].Value);

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();

    [GeneratedRegex("data-pow-challenge=\"([^\"]+)\"")]
    private static partial Regex Challenge();

    [GeneratedRegex("data-pow-bits=\"(\\d+)\"")]
    private static partial Regex Bits();

    [GeneratedRegex("href=\"([^\"]+)\"")]
    private static partial Regex Href();
}
