using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

/// <summary>The app with SMTP pointed at a local fake server.</summary>
public sealed class SmtpApp : IAsyncLifetime
{
    public FakeSmtpServer Smtp { get; } = new();
    public NodeAppFactory App { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        App = new NodeAppFactory(null, new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:EnableSsl"] = "false",
        });
        await App.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

internal static class ResetForms
{
    public static FormClient Browser(ConsoleAppFactory app) =>
        new(app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    public static Task<HttpResponseMessage> ForgotAsync(ConsoleAppFactory app, string email) =>
        Browser(app).PostFormAsync("/Account/ForgotPassword", "forgot-password", new Dictionary<string, string> { ["Input.Email"] = email });

    public static Task<HttpResponseMessage> ResetAsync(ConsoleAppFactory app, string link, string email, string password) =>
        Browser(app).PostFormAsync(new Uri(link).PathAndQuery, "reset-password", new Dictionary<string, string>
        {
            ["Input.Code"] = Regex.Match(link, "code=([^&]+)").Groups[1].Value,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["Input.Confirm"] = password,
        });

    public static string FirstLink(string html) => WebUtility.HtmlDecode(Regex.Match(html, "href=\"([^\"]+)\"").Groups[1].Value);
}

public class ResetLinkDeliveryTests(SmtpApp fixture) : IClassFixture<SmtpApp>
{
    [Fact]
    public async Task A_reset_email_delivered_by_SMTP_is_stored_without_its_link_while_the_delivered_link_still_works()
    {
        var app = fixture.App;
        var tenant = await app.TenantAsync(password: "Old!Pass123");
        var email = $"{tenant.Slug}@owner.test";
        Assert.EndsWith("/Account/ForgotPasswordConfirmation", (await ResetForms.ForgotAsync(app, email)).Headers.Location?.OriginalString);

        var delivered = FakeSmtpServer.DecodedBody(Assert.Single(fixture.Smtp.Messages, m => m.Contains(email, StringComparison.OrdinalIgnoreCase)));
        var link = ResetForms.FirstLink(delivered);
        var code = Regex.Match(link, "code=([^&]+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(code));

        OutboundEmail stored;
        await using (var work = app.Scopes.ForSystem("test"))
            stored = await work.Db.OutboundEmails.SingleAsync(e => e.To == email);
        Assert.Equal(EmailStatus.Sent, stored.Status);
        Assert.DoesNotContain(code, stored.HtmlBody);
        Assert.DoesNotContain(WebUtility.UrlDecode(code), stored.HtmlBody);
        Assert.DoesNotContain("code=", stored.HtmlBody);
        Assert.Contains(EmailOutbox.Redacted, stored.HtmlBody);

        var reset = await ResetForms.ResetAsync(app, link, email, "New!Pass456");
        Assert.EndsWith("/Account/ResetPasswordConfirmation", reset.Headers.Location?.OriginalString);
    }
}

public class ResetLinkLogTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    [Fact]
    public async Task A_super_admin_reading_a_pending_reset_email_is_recorded_in_the_audit_log()
    {
        var tenant = await app.TenantAsync();
        var email = $"{tenant.Slug}@owner.test";
        await ResetForms.ForgotAsync(app, email);
        var log = app.Services.GetRequiredService<EmailLog>();
        var admin = Guid.NewGuid();

        var listed = Assert.Single(await log.ListAsync(admin, "root@platform.test", take: 500), e => e.To == email);
        Assert.Equal(EmailStatus.Stored, listed.Status);
        await using (var before = app.Scopes.ForSystem("test"))
            Assert.False(await before.Db.AuditEntries.AnyAsync(a => a.Action == "email.read_pending" && a.EntityId == listed.Id.ToString()));

        var body = await log.ReadBodyAsync(listed.Id, admin, "root@platform.test");
        Assert.Contains("code=", body); // undelivered: the admin is the only way to it, so the link is there

        await using var work = app.Scopes.ForSystem("test");
        var audit = await work.Db.AuditEntries.SingleAsync(a => a.Action == "email.read_pending" && a.EntityId == listed.Id.ToString());
        Assert.Equal((admin, "root@platform.test"), (audit.ActorUserId, audit.Actor));
        Assert.Contains(email, audit.Details);
    }

    [Fact]
    public async Task A_reset_token_older_than_one_hour_is_refused_and_a_younger_one_accepted()
    {
        var tenant = await app.TenantAsync(password: "Old!Pass123");
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = (await users.FindByEmailAsync($"{tenant.Slug}@owner.test"))!;
        var stamp = await users.GetSecurityStampAsync(user);
        // Identity's default token provider: protected (creation time, user id, purpose, security stamp). Written here
        // with a chosen creation time so the test controls the token's age without waiting an hour.
        var protector = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("DataProtectorTokenProvider");
        string TokenIssued(TimeSpan ago)
        {
            using var ms = new MemoryStream();
            using (var writer = new BinaryWriter(ms, new UTF8Encoding(false, true), leaveOpen: true))
            {
                writer.Write((DateTimeOffset.UtcNow - ago).UtcTicks);
                writer.Write(user.Id.ToString());
                writer.Write(UserManager<ApplicationUser>.ResetPasswordTokenPurpose);
                writer.Write(stamp ?? "");
            }
            return Convert.ToBase64String(protector.Protect(ms.ToArray()));
        }

        var stale = await users.ResetPasswordAsync(user, TokenIssued(TimeSpan.FromMinutes(61)), "New!Pass456");
        Assert.False(stale.Succeeded);
        var fresh = await users.ResetPasswordAsync(user, TokenIssued(TimeSpan.FromMinutes(55)), "New!Pass456");
        Assert.True(fresh.Succeeded, string.Join("; ", fresh.Errors.Select(e => e.Description)));
    }
}
