using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>The tenants, support view, token usage and channels screens in a real browser.</summary>
public class TenantsBrowserTests(BrowserAppFactory app, BrowserFixture browser) : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Tenants_a_super_admin_finds_a_tenant_and_suspends_it_with_a_reason_in_spanish()
    {
        var admin = await app.SuperAdminAsync();
        var name = "Panadería " + Guid.NewGuid().ToString("N")[..6];
        var tenant = await app.TenantAsync(name);
        // One of its owners has the inbox open while it is suspended.
        var member = await browser.SignInAsync(app.ServerAddress, $"{tenant.Slug}@owner.test", "Str0ng!Pass", "/inbox", "es-MX", 1366, 860);
        await member.GetByTestId("conversation-list").WaitForAsync();
        await Assertions.Expect(member.GetByTestId("workspace-suspended")).ToHaveCountAsync(0);
        var page = await browser.SignInAsync(app.ServerAddress, admin.Email, admin.Password, "/admin/tenants", "es-MX", 1366, 860);

        await page.GetByPlaceholder("Buscar por nombre o identificador").FillAsync(name);
        var link = page.GetByRole(AriaRole.Link, new() { Name = name });
        await Assertions.Expect(link).ToBeVisibleAsync();
        // The grid's own texts (pager) read in Spanish too, not MudBlazor's English.
        await Assertions.Expect(page.GetByText("1-1 de 1", new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Filas por página:")).ToBeVisibleAsync();
        await link.ClickAsync();
        await page.WaitForURLAsync($"**/admin/tenants/{tenant.Id}");
        await Assertions.Expect(page.GetByTestId("tenant-status")).ToHaveTextAsync("Activo");

        await page.GetByTestId("tenant-status-panel").GetByLabel("Motivo (queda en la auditoría)").FillAsync("contracargo en revisión");
        await page.GetByTestId("status-toggle").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Suspender" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("tenant-status")).ToHaveTextAsync("Suspendido");
        await Assertions.Expect(page.GetByTestId("status-toggle")).ToHaveTextAsync("Reactivar");
        // The member's open screen shows the notice without a reload, and the app behind it is gone.
        await Assertions.Expect(member.GetByTestId("workspace-suspended")).ToContainTextAsync("Este espacio de trabajo está suspendido");
        await Assertions.Expect(member.GetByTestId("conversation-list")).ToHaveCountAsync(0);

        await using var work = app.Scopes.ForSystem("test");
        Assert.Equal(TenantStatus.Suspended, (await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenant.Id)).Status);
        Assert.True(await work.Db.AuditEntries.AnyAsync(a => a.TenantId == tenant.Id && a.Action == "tenant.suspend"
            && a.ActorUserId == admin.Id && a.Details == "contracargo en revisión"));
    }

    [Fact]
    public async Task On_a_phone_the_current_section_of_the_command_center_is_scrolled_into_view()
    {
        var admin = await app.SuperAdminAsync();
        var page = await browser.SignInAsync(app.ServerAddress, admin.Email, admin.Password, "/admin/channels", "es-MX", 390, 844);
        var nav = page.GetByTestId("admin-nav");
        // The last section: on a 390 px screen the sideways row would otherwise start at the dashboard with it far off-screen.
        var current = nav.Locator("[aria-current=page]");
        await Assertions.Expect(current).ToHaveTextAsync("Canales");
        await Assertions.Expect(current).ToBeInViewportAsync(new() { Ratio = 1 });
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Panel" })).Not.ToBeInViewportAsync();

        // Following a link keeps the new section in view too.
        await nav.GetByRole(AriaRole.Link, new() { Name = "Auditoría" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/audit");
        await Assertions.Expect(nav.Locator("[aria-current=page]")).ToHaveTextAsync("Auditoría");
        await Assertions.Expect(nav.Locator("[aria-current=page]")).ToBeInViewportAsync(new() { Ratio = 1 });
    }

    /// <summary>Every screen of this part, on a laptop and a phone, in Spanish and English (`./console.sh proof`).</summary>
    [Trait("Category", "Screenshots")]
    [Theory]
    [InlineData("es-MX", "es", 1366, 860)]
    [InlineData("es-MX", "es", 390, 844)]
    [InlineData("en-US", "en", 1366, 860)]
    [InlineData("en-US", "en", 390, 844)]
    public async Task Tenants_support_usage_and_channels_screens(string locale, string language, int width, int height)
    {
        var device = width < 600 ? "phone" : "desktop";
        var admin = await app.SuperAdminAsync();
        if (language == "en")
        {
            await using var scope = app.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<OperatorConsole.Infrastructure.Identity.ApplicationUser>>();
            var user = await users.FindByIdAsync(admin.Id.ToString());
            user!.Culture = "en";
            await users.UpdateAsync(user);
        }
        Guid demo;
        await using (var work = app.Scopes.ForSystem("test"))
            demo = await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        await SeedUsageAsync(demo);
        await app.Services.GetRequiredService<SupportView>().OpenAsync(demo, admin.Id, admin.Email, "screenshots");

        var page = await browser.SignInAsync(app.ServerAddress, admin.Email, admin.Password, "/admin/tenants", locale, width, height);
        await page.GetByTestId("tenants-grid").GetByRole(AriaRole.Link).First.WaitForAsync();
        await Shot(page, $"admin-tenants-{device}-{language}");
        await page.GotoAsync($"/admin/tenants/{demo}");
        await ReadyAsync(page);
        await page.GetByTestId("tenant-summary").WaitForAsync();
        await Shot(page, $"admin-tenant-{device}-{language}");
        await page.GotoAsync($"/admin/tenants/{demo}/support");
        await ReadyAsync(page);
        await page.GetByTestId("support-banner").WaitForAsync();
        await page.GetByTestId("support-conversations").Locator(".mud-list-item").First.ClickAsync();
        await page.GetByTestId("support-messages").Locator(".support-msg").First.WaitForAsync();
        await Shot(page, $"admin-support-{device}-{language}");
        await page.GotoAsync("/admin/usage");
        await ReadyAsync(page);
        await page.GetByTestId("usage-by-tenant").WaitForAsync();
        await Shot(page, $"admin-usage-{device}-{language}");
        await page.GotoAsync("/admin/channels");
        await ReadyAsync(page);
        await page.GetByTestId("channels-table").WaitForAsync();
        await Shot(page, $"admin-channels-{device}-{language}");
    }

    private static Task ReadyAsync(IPage page) => page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    private static async Task Shot(IPage page, string name)
    {
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath(name + ".png"), FullPage = true });
    }

    private async Task SeedUsageAsync(Guid demo)
    {
        await using (var work = app.Scopes.ForSystem("test"))
            if (await work.Db.TokenUsage.AnyAsync(u => u.TenantId == demo && u.Provider == "screens")) return;
        var today = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date, TimeSpan.Zero);
        var other = await app.TenantAsync("Spa Brisa " + Guid.NewGuid().ToString("N")[..4]);
        var rows = new List<(string, string, LlmFeature, long, long, decimal, DateTimeOffset)>();
        for (var d = 0; d < 14; d++)
        {
            rows.Add(("screens", "gpt-4o-mini", LlmFeature.Reply, 40_000 + d * 900, 9_000, 0.9m + d * 0.05m, today.AddDays(-d).AddHours(1)));
            rows.Add(("screens", "gpt-4o", LlmFeature.Analysis, 12_000, 2_000, 0.4m, today.AddDays(-d).AddHours(2)));
            if (d % 3 == 0) rows.Add(("screens", "gpt-4o", LlmFeature.Copilot, 8_000, 1_500, 0.3m, today.AddDays(-d).AddHours(3)));
        }
        rows.Add(("screens", "whisper-1", LlmFeature.Transcription, 0, 0, 0.12m, today.AddHours(4)));
        await app.UsageAsync(demo, rows.ToArray());
        await app.UsageAsync(other.Id, Enumerable.Range(1, 7).Select(d => ("screens", "gpt-4o", LlmFeature.Reply, 5_000L, 800L, 0.8m, today.AddDays(-d)))
            .Append(("screens", "gpt-4o", LlmFeature.Reply, 60_000L, 9_000L, 9.5m, today)).ToArray());
        await app.Services.GetRequiredService<SpendAlerts>().CheckAsync();
    }
}
