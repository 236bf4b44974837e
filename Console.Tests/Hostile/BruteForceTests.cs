using System.Net;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Tests.Security;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Hostile;

public sealed class BruteForceAppFactory() : SecurityAppFactory(new Dictionary<string, string?>
{
    // Generous per address, tight per account: the attack here comes from many addresses (a botnet).
    ["RateLimits:LoginPerIpPerMinute"] = "100",
    ["RateLimits:LoginPerAccountPer15Minutes"] = "5",
    ["RateLimits:LockoutFailures"] = "100",
    ["RateLimits:ForgotPasswordPerIpPerMinute"] = "3",
    ["RateLimits:ForgotPasswordPerAccountPerHour"] = "100",
});

/// <summary>
/// What <c>SignInLimitTests</c> leaves out: guessing one account's password from many addresses (the per-account budget),
/// and one address asking password resets for many accounts (mail bombing, account enumeration).
/// </summary>
public class BruteForceTests(BruteForceAppFactory app) : IClassFixture<BruteForceAppFactory>
{
    private FormClient From(string clientAddress) => new(app.Client(SecurityAppFactory.Proxy, clientAddress));

    [Fact]
    public async Task Guessing_one_password_from_many_addresses_is_stopped_by_the_accounts_budget_and_other_accounts_sign_in()
    {
        var victim = await app.TenantAsync(password: "Right!Pass1");
        var bystander = await app.TenantAsync(password: "Other!Pass1");
        var statuses = new List<HttpStatusCode>();
        // Fifteen guesses, each from its own address, so no per-address limit or lockout ever applies.
        for (var i = 0; i < 15; i++)
            statuses.Add((await From($"203.0.113.{100 + i}").LoginAsync($"{victim.Slug}@owner.test", "Wrong!Pass" + i)).StatusCode);
        // Five per window: at most two windows' worth got through, whatever the timing.
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 5, string.Join(",", statuses));
        // Even the right password now waits for the window: the attacker cannot tell a right guess from a wrong one.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await From("203.0.113.200").LoginAsync($"{victim.Slug}@owner.test", "Right!Pass1")).StatusCode);

        // Another account from one of the attacking addresses is not affected.
        var other = await From("203.0.113.101").LoginAsync($"{bystander.Slug}@owner.test", "Other!Pass1");
        Assert.Equal("/", other.Headers.Location?.AbsolutePath);
    }

    [Fact]
    public async Task Reset_requests_for_many_accounts_from_one_address_are_limited_and_send_no_more_mail()
    {
        var tenants = new List<string>();
        for (var i = 0; i < 8; i++) tenants.Add($"{(await app.TenantAsync()).Slug}@owner.test");
        var from = From("198.51.100.90");
        var statuses = new List<HttpStatusCode>();
        foreach (var email in tenants)
            statuses.Add((await from.PostFormAsync("/Account/ForgotPassword", "forgot-password",
                new Dictionary<string, string> { ["Input.Email"] = email })).StatusCode);
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 2, string.Join(",", statuses));
        await using var work = app.Scopes.ForSystem("test");
        var mailed = await work.Db.OutboundEmails.CountAsync(e => tenants.Contains(e.To));
        Assert.Equal(statuses.Count(s => s != HttpStatusCode.TooManyRequests), mailed);
    }
}
