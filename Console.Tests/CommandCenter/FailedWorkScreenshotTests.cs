using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>Screenshots of failed work, DevConsole, the audit log and the e-mail log, desktop and phone, Spanish and English (the UI review).</summary>
[Trait("Category", "Screenshots")]
public class FailedWorkScreenshotTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    /// <summary>Opens a page and waits until its circuit is live (a prerendered page ignores clicks and typing).</summary>
    private static async Task GoAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
    }

    private async Task SeedAsync()
    {
        await FailedWorkSeed.EveryKindAsync(app);
        var writer = app.Services.GetRequiredService<SystemEventWriter>();
        var tenant = await app.TenantAsync("Clínica Dental Norte");
        await writer.WriteAsync(Severity.Error, "outbound", new TextRef("SystemEvent.SendGaveUp", "A message on WhatsApp 5215550001 failed after retries: timeout",
            "WhatsApp", "5215550001", "timeout"), tenant.Id, JsonSerializer.Serialize(new { conversationId = Guid.NewGuid(), attempts = 5, lastError = "timeout" }));
        await writer.WriteAsync(Severity.Warning, "agent.rate_limit", new TextRef("SystemEvent.RateLimitMinute", "Customer rate limit reached", "31", "30", "1"), tenant.Id);
        await writer.WriteAsync(Severity.Critical, "webhooks", new TextRef("SystemEvent.TokenExpired", "Messenger 1234: access token expired; reconnect the channel",
            "Messenger", "1234"), tenant.Id);
        await app.Services.GetRequiredService<EmailOutbox>().SendPasswordResetLinkAsync(new ApplicationUser(), "ana@cliente.test",
            "http://localhost:5080/Account/ResetPassword?code=abc");
        await using var work = app.Scopes.ForTenant(tenant.Id);
        work.Db.AuditEntries.Add(AuditEntry.Change(tenant.Id, null, "owner@clinica.test", "agent.publish", "AgentProfile", "v3",
            """{"tone":"formal","handoffKeywords":"humano"}""", """{"tone":"amable","handoffKeywords":"humano, persona"}""", DateTimeOffset.UtcNow));
        await work.Db.SaveChangesAsync();
    }

    private async Task ShootAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath(name), FullPage = true });

    [Fact]
    public async Task Command_center_failed_work_devconsole_audit_and_emails_desktop_and_phone()
    {
        await SeedAsync();
        foreach (var (culture, locale) in new[] { ("es", "es-MX"), ("en", "en-US") })
        {
            var email = await CommandCenterAdmins.SuperAdminAsync(app, culture);
            foreach (var (device, w, h) in new[] { ("desktop", 1366, 900), ("phone", 390, 844) })
            {
                var page = await browser.SignInAsync(app.ServerAddress, email, CommandCenterAdmins.Password, "/admin/failed", locale, w, h);
                await page.GetByTestId("failed-table").WaitForAsync();
                await ShootAsync(page, $"cc-failed-{device}-{culture}.png");
                await page.GetByRole(AriaRole.Button, new() { Name = culture == "es" ? "Detalles" : "Details", Exact = false }).First.ClickAsync();
                await page.GetByTestId("failed-drawer").WaitForAsync();
                await ShootAsync(page, $"cc-failed-drawer-{device}-{culture}.png");

                await GoAsync(page, "/admin/events");
                await page.GetByTestId("events-table").WaitForAsync();
                await ShootAsync(page, $"cc-events-{device}-{culture}.png");
                await page.GetByRole(AriaRole.Button, new() { Name = culture == "es" ? "Abrir evento" : "Open event", Exact = false }).First.ClickAsync();
                await page.GetByTestId("event-drawer").WaitForAsync();
                await ShootAsync(page, $"cc-events-drawer-{device}-{culture}.png");

                await GoAsync(page, "/admin/audit?action=agent.publish");
                await page.GetByTestId("audit-table").WaitForAsync();
                await ShootAsync(page, $"cc-audit-{device}-{culture}.png");
                await page.GetByRole(AriaRole.Button, new() { Name = culture == "es" ? "Abrir entrada" : "Open entry", Exact = false }).First.ClickAsync();
                await page.GetByTestId("audit-drawer").WaitForAsync();
                await ShootAsync(page, $"cc-audit-drawer-{device}-{culture}.png");

                await GoAsync(page, "/admin/emails");
                await page.GetByTestId("email-table").WaitForAsync();
                await ShootAsync(page, $"cc-emails-{device}-{culture}.png");
                await page.Context.CloseAsync();
            }
        }
    }
}
