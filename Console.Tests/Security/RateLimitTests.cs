using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

public sealed class SignInLimitsAppFactory() : SecurityAppFactory(new Dictionary<string, string?>
{
    ["RateLimits:LoginPerIpPerMinute"] = "4",
    ["RateLimits:LoginPerAccountPer15Minutes"] = "100",
    ["RateLimits:LockoutFailures"] = "3",
    ["RateLimits:ForgotPasswordPerIpPerMinute"] = "50",
    ["RateLimits:ForgotPasswordPerAccountPerHour"] = "2",
});

/// <summary>Sign-in and forgot-password budgets per client address and per account; lockout per account + address.</summary>
public class SignInLimitTests(SignInLimitsAppFactory app) : IClassFixture<SignInLimitsAppFactory>
{
    private const string Limited = "Demasiados intentos";

    // Each test speaks from its own addresses (through the trusted proxy), so budgets never leak between tests.
    private FormClient From(string clientAddress) => new(app.Client(SecurityAppFactory.Proxy, clientAddress));

    private static async Task<string> HtmlAsync(HttpResponseMessage r) => WebUtility.HtmlDecode(await r.Content.ReadAsStringAsync());

    [Fact]
    public async Task Too_many_sign_ins_from_one_address_answer_429_and_the_real_user_still_signs_in_from_another()
    {
        var tenant = await app.TenantAsync(password: "Right!Pass1");
        var attacker = From("203.0.113.5");
        HttpResponseMessage? limited = null;
        // A fixed window may roll over once during the attempts: twice the budget plus one is always enough.
        for (var i = 0; i < 9 && limited is null; i++)
        {
            var attempt = await attacker.LoginAsync(TestData.Unique("guess") + "@owner.test", "Wrong!Pass" + i);
            if (attempt.StatusCode == HttpStatusCode.TooManyRequests) limited = attempt;
        }
        Assert.NotNull(limited);
        Assert.Contains(Limited, await HtmlAsync(limited));

        var user = From("198.51.100.7");
        var login = await user.LoginAsync($"{tenant.Slug}@owner.test", "Right!Pass1");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.AbsolutePath);
    }

    [Fact]
    public async Task Forwarded_addresses_from_an_untrusted_peer_do_not_escape_the_limit()
    {
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 9 && limited is null; i++)
        {
            // Not the configured proxy: its X-Forwarded-For is ignored and every attempt counts against the peer.
            var client = new FormClient(app.Client("192.0.2.66", $"198.51.100.{100 + i}"));
            var attempt = await client.LoginAsync(TestData.Unique("guess") + "@owner.test", "Wrong!Pass1");
            if (attempt.StatusCode == HttpStatusCode.TooManyRequests) limited = attempt;
        }
        Assert.NotNull(limited);
    }

    [Fact]
    public async Task Failures_from_one_address_lock_out_only_that_address()
    {
        var tenant = await app.TenantAsync(password: "Right!Pass1");
        var email = $"{tenant.Slug}@owner.test";
        var attacker = From("203.0.113.9");
        Assert.Contains("Correo o contraseña incorrectos", await HtmlAsync(await attacker.LoginAsync(email, "Wrong!Pass1")));
        Assert.Contains("Correo o contraseña incorrectos", await HtmlAsync(await attacker.LoginAsync(email, "Wrong!Pass2")));
        Assert.EndsWith("/Account/Lockout", (await attacker.LoginAsync(email, "Wrong!Pass3")).Headers.Location?.OriginalString);
        // Locked: even the right password is refused from there.
        Assert.EndsWith("/Account/Lockout", (await attacker.LoginAsync(email, "Right!Pass1")).Headers.Location?.OriginalString);

        var user = From("198.51.100.8");
        var login = await user.LoginAsync(email, "Right!Pass1");
        Assert.Equal("/", login.Headers.Location?.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync("/inbox")).StatusCode);
    }

    [Fact]
    public async Task Forgot_password_for_one_account_is_limited_from_any_address()
    {
        var tenant = await app.TenantAsync();
        var email = $"{tenant.Slug}@owner.test";
        var answers = new List<HttpResponseMessage>();
        foreach (var address in new[] { "198.51.100.31", "198.51.100.32", "198.51.100.33" })
            answers.Add(await From(address).PostFormAsync("/Account/ForgotPassword", "forgot-password",
                new Dictionary<string, string> { ["Input.Email"] = email }));
        Assert.All(answers.Take(2), a => Assert.Equal(HttpStatusCode.Redirect, a.StatusCode));
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[2].StatusCode);
        Assert.Contains(Limited, await HtmlAsync(answers[2]));
        await using var work = app.Scopes.ForSystem("test");
        Assert.Equal(2, await work.Db.OutboundEmails.CountAsync(e => e.To == email));
    }
}

public sealed class MachineLimitsAppFactory() : SecurityAppFactory(new Dictionary<string, string?>
{
    ["RateLimits:ApiPerKeyPerMinute"] = "3",
    ["RateLimits:WebhooksPerSourcePerSecond"] = "2",
});

/// <summary>The REST API per key and the webhook endpoints per source answer 429 with problem details over budget.</summary>
public class MachineLimitTests(MachineLimitsAppFactory app) : IClassFixture<MachineLimitsAppFactory>
{
    private HttpClient Keyed(string key)
    {
        var http = app.Client("192.0.2.70");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    [Fact]
    public async Task An_api_key_over_its_budget_gets_429_problem_details_and_another_key_does_not()
    {
        var platform = Keyed(ConsoleAppFactory.PlatformKey);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10; i++)
        {
            var response = await platform.GetAsync($"/api/v1/tenants/{Guid.NewGuid()}/conversations");
            statuses.Add(response.StatusCode);
            limited ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }
        // At most two windows' worth (2 × 3) got through, whatever the timing.
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 4, string.Join(",", statuses));
        Assert.Equal("application/problem+json", limited!.Content.Headers.ContentType?.MediaType);
        Assert.Equal(429, (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());

        // Another key (here an unknown one) has its own budget: it is told it is unauthorized, not limited.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Keyed("some-other-key").GetAsync($"/api/v1/tenants/{Guid.NewGuid()}/conversations")).StatusCode);
    }

    [Fact]
    public async Task A_webhook_source_over_its_budget_gets_429_and_other_sources_do_not()
    {
        var http = app.Client("192.0.2.71");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
            statuses.Add((await http.PostAsync("/webhooks/messenger", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 2, string.Join(",", statuses));
        var other = await http.PostAsync("/webhooks/instagram", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, other.StatusCode);
    }
}
