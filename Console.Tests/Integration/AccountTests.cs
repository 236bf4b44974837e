using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Integration;

public class AccountTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    private FormClient NewBrowser(string culture = "es")
    {
        var http = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd(culture);
        return new FormClient(http);
    }

    private static string Location(HttpResponseMessage r) => r.Headers.Location?.OriginalString ?? "";

    [Fact]
    public async Task Correct_password_signs_in_and_opens_the_inbox()
    {
        var tenant = await app.TenantAsync(password: "Right!Pass1");
        var browser = NewBrowser();
        var login = await browser.LoginAsync($"{tenant.Slug}@owner.test", "Right!Pass1");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var inbox = await browser.Http.GetAsync("/inbox");
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
        Assert.Contains("Bandeja de entrada", await inbox.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Wrong_password_five_times_locks_the_account()
    {
        var tenant = await app.TenantAsync(password: "Right!Pass1");
        var email = $"{tenant.Slug}@owner.test";
        var browser = NewBrowser();
        for (var i = 1; i <= 4; i++)
        {
            var wrong = await browser.LoginAsync(email, "Wrong!Pass" + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains("Correo o contraseña incorrectos", WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()));
        }
        var fifth = await browser.LoginAsync(email, "Wrong!Pass5");
        Assert.EndsWith("/Account/Lockout", Location(fifth));

        // Now even the right password is refused until the lockout ends.
        var right = await browser.LoginAsync(email, "Right!Pass1");
        Assert.EndsWith("/Account/Lockout", Location(right));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/inbox")).StatusCode);
    }

    [Fact]
    public async Task Forgot_password_stores_the_email_for_super_admins_and_its_link_resets_the_password()
    {
        var tenant = await app.TenantAsync(password: "Old!Pass123");
        var email = $"{tenant.Slug}@owner.test";
        var browser = NewBrowser();
        var sent = await browser.PostFormAsync("/Account/ForgotPassword", "forgot-password", new Dictionary<string, string> { ["Input.Email"] = email });
        Assert.EndsWith("/Account/ForgotPasswordConfirmation", Location(sent));

        // No SMTP configured: the e-mail is kept, not dropped.
        OutboundEmail stored;
        await using (var work = app.Scopes.ForSystem("test"))
            stored = await work.Db.OutboundEmails.SingleAsync(e => e.To == email);
        Assert.Equal(EmailStatus.Stored, stored.Status);
        var link = WebUtility.HtmlDecode(Regex.Match(stored.HtmlBody, "href=\"([^\"]+)\"").Groups[1].Value);
        var resetPath = new Uri(link).PathAndQuery;

        var reset = await browser.PostFormAsync(resetPath, "reset-password", new Dictionary<string, string>
        {
            ["Input.Code"] = Regex.Match(link, "code=([^&]+)").Groups[1].Value,
            ["Input.Email"] = email,
            ["Input.Password"] = "New!Pass456",
            ["Input.Confirm"] = "New!Pass456",
        });
        Assert.EndsWith("/Account/ResetPasswordConfirmation", Location(reset));
        var old = await NewBrowser().LoginAsync(email, "Old!Pass123");
        Assert.Equal(HttpStatusCode.OK, old.StatusCode); // the old password no longer works
        Assert.Contains("Correo o contraseña incorrectos", WebUtility.HtmlDecode(await old.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Redirect, (await NewBrowser().LoginAsync(email, "New!Pass456")).StatusCode);
    }

    [Fact]
    public async Task Forgot_password_for_an_unknown_address_answers_the_same_and_sends_nothing()
    {
        var email = TestData.Unique("nobody") + "@nowhere.test";
        var sent = await NewBrowser().PostFormAsync("/Account/ForgotPassword", "forgot-password", new Dictionary<string, string> { ["Input.Email"] = email });
        Assert.EndsWith("/Account/ForgotPasswordConfirmation", Location(sent));
        await using var work = app.Scopes.ForSystem("test");
        Assert.False(await work.Db.OutboundEmails.AnyAsync(e => e.To == email));
    }

    [Fact]
    public async Task Change_password_requires_the_current_one()
    {
        var tenant = await app.TenantAsync(password: "Old!Pass123");
        var email = $"{tenant.Slug}@owner.test";
        var browser = NewBrowser("en");
        await browser.LoginAsync(email, "Old!Pass123");
        var wrong = await browser.PostFormAsync("/Account/Manage/ChangePassword", "change-password", new Dictionary<string, string>
            { ["Input.Current"] = "Nope!1234", ["Input.Password"] = "New!Pass456", ["Input.Confirm"] = "New!Pass456" });
        Assert.Contains("The current password is not correct", WebUtility.HtmlDecode(await wrong.Content.ReadAsStringAsync()));
        var right = await browser.PostFormAsync("/Account/Manage/ChangePassword", "change-password", new Dictionary<string, string>
            { ["Input.Current"] = "Old!Pass123", ["Input.Password"] = "New!Pass456", ["Input.Confirm"] = "New!Pass456" });
        Assert.Contains("Your password was changed", WebUtility.HtmlDecode(await right.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Redirect, (await NewBrowser().LoginAsync(email, "New!Pass456")).StatusCode);
    }
}

public class RoleAccessTests(DemoAppFactory app) : IClassFixture<DemoAppFactory>
{
    private async Task<HttpClient> SignedInAsync(string email)
    {
        var http = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var login = await new FormClient(http).LoginAsync(email, DemoSeeder.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return http;
    }

    [Theory]
    [InlineData("/billing")]
    [InlineData("/admin")]
    [InlineData("/channels")]
    [InlineData("/team")]
    public async Task An_agent_gets_403_on_owner_and_admin_urls(string path)
    {
        var agent = await SignedInAsync(DemoSeeder.AgentEmail);
        var response = await agent.GetAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("No tienes acceso a esta página", html);
        Assert.DoesNotContain("Plan actual", html);
    }

    [Fact]
    public async Task An_agent_works_the_inbox_and_leads_but_does_not_see_billing_or_admin_in_the_menu()
    {
        var agent = await SignedInAsync(DemoSeeder.AgentEmail);
        foreach (var path in new[] { "/inbox", "/leads", "/appointments" })
            Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync(path)).StatusCode);
        var html = await agent.GetStringAsync("/inbox");
        Assert.Contains("href=\"leads\"", html);
        Assert.DoesNotContain("href=\"billing\"", html);
        Assert.DoesNotContain("href=\"admin\"", html);
    }

    [Fact]
    public async Task An_owner_reaches_billing_but_not_the_command_center()
    {
        var owner = await SignedInAsync(DemoSeeder.OwnerEmail);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/billing")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task The_super_admin_reaches_the_command_center_and_each_visit_is_audited()
    {
        var admin = await SignedInAsync(DemoSeeder.AdminEmail);
        var response = await admin.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The command center's own sections, not a sign-in or access-denied page.
        Assert.Contains("href=\"admin/failed\"", await response.Content.ReadAsStringAsync());
        await using var work = app.Scopes.ForSystem("test");
        Assert.True(await work.Db.AuditEntries.AnyAsync(a => a.Action == "platform.enter" && a.Actor == DemoSeeder.AdminEmail));
    }

    [Fact]
    public async Task Signed_out_visitors_are_sent_to_the_login_page()
    {
        var anonymous = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await anonymous.GetAsync("/billing");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location!.OriginalString);
    }
}

public class StatusPageTests(ConsoleAppFactory app) : IClassFixture<ConsoleAppFactory>
{
    [Fact]
    public async Task An_unknown_page_answers_404_with_a_not_found_page_not_an_access_denied_one()
    {
        var tenant = await app.TenantAsync(password: "Right!Pass1");
        var http = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        http.DefaultRequestHeaders.AcceptLanguage.ParseAdd("es");
        await new FormClient(http).LoginAsync($"{tenant.Slug}@owner.test", "Right!Pass1");
        var response = await http.GetAsync("/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Página no encontrada", html);
        Assert.DoesNotContain("No tienes acceso", html);
    }
}
