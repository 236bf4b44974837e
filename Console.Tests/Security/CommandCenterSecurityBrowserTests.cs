using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Security;

/// <summary>What a super admin sees of e-mails and channels in the command center, and what is audited.</summary>
public class CommandCenterSecurityBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SuperAdminAtAsync(string path)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(path)}");
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.AdminEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**" + path);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    [Fact]
    public async Task A_pending_reset_email_shows_its_link_only_on_request_and_the_reading_is_audited()
    {
        var to = TestData.Unique("pending") + "@mail.test";
        var secret = "code-" + Guid.NewGuid().ToString("N");
        await app.Services.GetRequiredService<EmailOutbox>().SendPasswordResetLinkAsync(new ApplicationUser(), to,
            $"http://localhost:5080/Account/ResetPassword?code={secret}");

        var page = await SuperAdminAtAsync("/admin/emails");
        await Assertions.Expect(page.GetByText(to)).ToBeVisibleAsync();
        var link = page.Locator($"a[href*='{secret}']");
        await Assertions.Expect(link).ToHaveCountAsync(0); // listed without its body
        await using (var before = app.Scopes.ForSystem("test"))
            Assert.False(await before.Db.AuditEntries.AnyAsync(a => a.Action == "email.read_pending" && a.Details!.Contains(to)));

        await page.GetByRole(AriaRole.Button, new() { Name = $"Show {to}" }).ClickAsync();
        await Assertions.Expect(link.First).ToBeVisibleAsync();
        await using var work = app.Scopes.ForSystem("test");
        Assert.True(await work.Db.AuditEntries.AnyAsync(a => a.Action == "email.read_pending" && a.Actor == DemoSeeder.AdminEmail
            && a.Details!.Contains(to)));
    }

    [Fact]
    public async Task A_super_admin_releases_a_disputed_channel_from_the_command_center()
    {
        var squatter = await app.TenantAsync();
        var pageId = ChannelData.NewExternalId();
        var squatted = await app.ChannelAsync(squatter.Id, ChannelKind.Messenger, pageId);

        var page = await SuperAdminAtAsync("/admin/channels");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = pageId })).ToContainTextAsync("Healthy");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Release {pageId}" }).ClickAsync();
        await Assertions.Expect(page.GetByText(pageId)).ToHaveCountAsync(0);

        await using var work = app.Scopes.ForSystem("test");
        var released = await work.Db.Channels.AsNoTracking().SingleAsync(c => c.Id == squatted.Id);
        Assert.Equal(ChannelStatus.Disconnected, released.Status);
        Assert.True(await work.Db.AuditEntries.AnyAsync(a => a.Action == "channel.release_disputed" && a.TenantId == squatter.Id
            && a.Actor == DemoSeeder.AdminEmail));
    }
}
